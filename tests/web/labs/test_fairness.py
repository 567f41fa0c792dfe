"""Fairness between schools: one school's burst does not starve another.

A school has at most its share of jobs on the grading queue (portal.labs.fairness); the
rest wait in the database and go on as its results are recorded, through the sweep too.
Past its backlog limit a school's student is answered 429 with when to submit again.
The last test floods the real queue with real graders and the real sandbox.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Worker
from rq.serializers import JSONSerializer
from sqlalchemy import select

import contract
from grader.autoscale import read_queue
from portal.catalogue.catalogue import get_catalogue
from portal.labs.fairness import school_cap, waiting_submissions
from portal.labs.service import Enqueued, SubmissionPolicy, submit_lab_code
from portal.labs.sweep import requeue_stale_submissions
from portal.models import School, Submission, SubmissionStatus, utc_now

SOLUTIONS = Path(__file__).parents[2] / "integration" / "solutions"
CODE = (SOLUTIONS / "thread_lab_commonjs.js").read_text()
PASSWORD = "correct horse battery"
# Students may have many submissions in flight here: the school's share is what is tested.
ONE_PER_SCHOOL = SubmissionPolicy(max_in_flight=100, max_per_school=1)


@pytest.fixture
def school_b(db) -> School:
    school = School(slug="school-b", name="School B")
    db.add(school)
    db.commit()
    return school


def submit(app, db, queue, user, policy=ONE_PER_SCHOOL) -> tuple[Submission, Enqueued]:
    with app.app_context():
        catalogue = get_catalogue()
        lab = catalogue.lab("node-workers", "thread-lab")
        outcome = submit_lab_code(db, queue, user, lab, CODE, policy, catalogue=catalogue)
    return outcome.submission, outcome.enqueued


def queued_submission_ids(queue) -> list[str]:
    return [job.id.removeprefix("submission-") for job in queue.get_jobs()]


def test_a_school_past_its_share_waits_and_another_school_goes_on(
    app, db, grading_queue, make_user, school_b
):
    student_a = make_user("a@example.org", PASSWORD)
    student_b = make_user("b@example.org", PASSWORD, school=school_b)

    outcomes = [submit(app, db, grading_queue, student_a) for _ in range(3)]
    b_submission, b_enqueued = submit(app, db, grading_queue, student_b)

    assert [enqueued for _, enqueued in outcomes] == [
        Enqueued.NEW,
        Enqueued.WAITING,
        Enqueued.WAITING,
    ]
    assert b_enqueued is Enqueued.NEW
    first_a = outcomes[0][0]
    assert queued_submission_ids(grading_queue) == [str(first_a.id), str(b_submission.id)]
    assert all(s.status == SubmissionStatus.QUEUED.value for s, _ in outcomes)
    assert waiting_submissions(db, grading_queue) == 2


def test_the_autoscaler_sees_the_submissions_held_back(app, db, grading_queue, make_user):
    student = make_user("a@example.org", PASSWORD)
    for _ in range(3):
        submit(app, db, grading_queue, student)

    figures = read_queue(grading_queue.connection)

    assert (figures.queued, figures.running, figures.waiting) == (1, 0, 2)
    assert figures.demand == 3  # as many graders as without the share


def test_a_recorded_result_puts_the_schools_next_submission_on_the_queue(
    app, db, grading_queue, results_queue, make_user, make_grade_result
):
    app.config["GRADING_MAX_PER_SCHOOL"] = 1
    student = make_user("a@example.org", PASSWORD)
    first, second, third = (submit(app, db, grading_queue, student)[0] for _ in range(3))
    grading_queue.empty()  # a grader took the first job and published its result:
    results_queue.enqueue(
        contract.RECORD_RESULT_JOB,
        contract.encode(make_grade_result(str(first.id), str(first.tenant_id))),
        job_id=contract.result_job_id(str(first.id)),
    )

    outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])

    assert outcome.exit_code == 0, outcome.output
    db.expire_all()
    assert db.get(Submission, first.id).status == SubmissionStatus.GRADED.value
    assert queued_submission_ids(grading_queue) == [str(second.id)]  # oldest first, one only
    assert db.get(Submission, third.id).status == SubmissionStatus.QUEUED.value


def test_the_sweep_enqueues_a_lost_job_within_the_schools_share(
    app, db, grading_queue, make_user, school_b
):
    student_a = make_user("a@example.org", PASSWORD)
    student_b = make_user("b@example.org", PASSWORD, school=school_b)
    a_first, a_second = (submit(app, db, grading_queue, student_a)[0] for _ in range(2))
    b_only = submit(app, db, grading_queue, student_b)[0]
    grading_queue.delete(delete_jobs=True)  # Valkey lost every job

    with app.app_context():
        report = requeue_stale_submissions(
            db,
            grading_queue,
            get_catalogue(),
            now=utc_now() + timedelta(minutes=5),
            max_per_school=1,
        )

    assert sorted(report.requeued) == sorted([a_first.id, b_only.id])
    assert report.waiting == [a_second.id]
    assert sorted(queued_submission_ids(grading_queue)) == sorted([str(a_first.id), str(b_only.id)])


def test_the_automatic_share_is_all_the_graders_listening_but_one(grading_queue):
    assert school_cap(grading_queue, 0) is None  # nobody grades: nothing is held back
    workers = []
    for count in (1, 2, 4):
        while len(workers) < count:
            worker = Worker(
                [grading_queue], connection=grading_queue.connection, serializer=JSONSerializer
            )
            worker.register_birth()
            workers.append(worker)
        assert school_cap(grading_queue, 0) == max(1, count - 1)
    grading_queue.connection.delete(workers[0].key)  # killed: its key expired, not yet cleaned
    assert school_cap(grading_queue, 0) == 2
    assert school_cap(grading_queue, 7) == 7  # a fixed share wins
    for worker in workers:
        worker.register_death()


def test_past_the_schools_backlog_a_student_gets_429_saying_when_to_try_again(
    make_app, make_browser, make_user, grading_queue, db
):
    app = make_app(GRADING_SCHOOL_BACKLOG_LIMIT=2, GRADING_MAX_PER_SCHOOL=1)
    for name in ("ada", "grace"):
        make_user(f"{name}@example.org", PASSWORD)
    ada, grace = make_browser(app), make_browser(app)
    ada.log_in("ada@example.org", PASSWORD)
    grace.log_in("grace@example.org", PASSWORD)
    assert ada.submit_code(CODE).status_code == 302
    assert ada.submit_code(CODE).status_code == 302  # waits its school's turn, still saved

    refused = grace.submit_code(CODE)

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    page = refused.get_data(as_text=True)
    assert "Your school has many submissions waiting for a grader." in page
    assert "submit it again in 60 seconds" in page
    assert len(db.scalars(select(Submission)).all()) == 2


@pytest.mark.docker
def test_a_schools_flood_does_not_starve_another_on_real_graders(
    app, db, grading_queue, make_user, school_b, sandbox_image, no_leftover_containers
):
    """School A floods six submissions, then school B submits one: B is graded before A's
    backlog is done (first in, first out would grade it last). Two real graders, so the
    automatic share is one job per school."""
    graders = [_start_grader(app.config["REDIS_URL"], sandbox_image) for _ in range(2)]
    try:
        _wait_for(lambda: Worker.count(queue=grading_queue) == 2, "two graders listening")
        auto = SubmissionPolicy(max_in_flight=100)
        students_a = [make_user(f"a{n}@example.org", PASSWORD) for n in range(2)]
        student_b = make_user("b@example.org", PASSWORD, school=school_b)
        flood = [submit(app, db, grading_queue, students_a[n % 2], auto)[0] for n in range(6)]
        b_submission = submit(app, db, grading_queue, student_b, auto)[0]
        everything = [*flood, b_submission]

        def all_graded() -> bool:
            outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
            assert outcome.exit_code == 0, outcome.output
            db.expire_all()
            return all(db.get(Submission, s.id).is_final for s in everything)

        _wait_for(all_graded, "every submission graded", timeout=300)
    finally:
        for grader in graders:
            grader.terminate()
        for grader in graders:
            grader.wait(timeout=60)

    assert {db.get(Submission, s.id).verdict for s in everything} == {"passed"}
    b_graded = db.get(Submission, b_submission.id).graded_at
    a_after_b = [s for s in flood if db.get(Submission, s.id).graded_at > b_graded]
    assert len(a_after_b) >= 3, "school B waited behind school A's burst"


def _start_grader(redis_url: str, image: str) -> subprocess.Popen:
    grader = str(Path(sys.executable).parent / "grader")
    return subprocess.Popen(
        [grader, "worker", "--redis-url", redis_url],
        env={"PATH": "/usr/bin:/bin", "SANDBOX_IMAGE": image},
    )


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.5)
