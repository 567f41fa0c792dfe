"""The operator commands: migrate, seed, sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.job import JobStatus
from sqlalchemy import select, update

import contract
from portal.models import GroupMember, School, StudentGroup, Submission, User


def test_db_upgrade_migrates_an_empty_database(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_seed_demo_is_idempotent_and_prints_the_logins(app, db, browser):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    assert "student@example.org / student-demo-pass" in result.output
    assert "admin@example.org / admin-demo-pass" in result.output
    assert len(db.scalars(select(School)).all()) == 1
    assert "platform@example.org / platform-demo-pass" in result.output
    roles = {u.email: u.role for u in db.scalars(select(User))}
    assert roles == {
        "student@example.org": "student",
        "instructor@example.org": "instructor",
        "admin@example.org": "school_admin",
        "platform@example.org": "platform_admin",
    }
    assert browser.log_in("student@example.org", "student-demo-pass").status_code == 302
    # One demo class holding the demo student, made once.
    groups = db.scalars(select(StudentGroup)).all()
    assert [group.name for group in groups] == ["Demo class"]
    members = db.scalars(select(GroupMember.user_id)).all()
    assert members == [db.scalars(select(User.id).where(User.email == "student@example.org")).one()]


def test_requeue_stale_enqueues_lost_and_closes_failed_submissions(
    app, db, student_browser, grading_queue
):
    for n in range(2):
        student_browser.submit_code(f"console.log({n})")
    grading_queue.empty()  # Redis lost the first one...
    assert grading_queue.count == 0
    grading_queue.enqueue(  # ...and the second one's grading failed for good
        contract.GRADE_JOB, {}, job_id=contract.grade_job_id("2")
    ).set_status(JobStatus.FAILED)
    half_an_hour_ago = datetime.now(UTC) - timedelta(minutes=30)
    db.execute(update(Submission).values(created_at=half_an_hour_ago))
    db.commit()

    result = app.test_cli_runner().invoke(args=["requeue-stale"])
    assert result.exit_code == 0, result.output
    assert "grading: requeued 1, closed 1, still waiting 0" in result.output
    db.expire_all()
    first, second = db.scalars(select(Submission).order_by(Submission.id))
    assert first.status == "queued"
    assert grading_queue.fetch_job(contract.grade_job_id("1")) is not None
    assert (second.status, second.verdict, second.gradable) == ("graded", "infra_error", False)
