"""Recording grade results: exactly once, and refusing what is not a result of ours."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

import contract
from portal.jobs import record_result
from portal.labs.results import ResultMismatch, UnknownSubmission
from portal.models import AchievementAward, ExpEntry, Submission


def test_recording_the_same_result_twice_awards_once(
    app, db, submission, student, make_grade_result
):
    payload = contract.encode(make_grade_result(str(submission.id), str(student.tenant_id)))
    with app.app_context():
        assert record_result(payload) == {"submission_id": "1", "recorded": True}
        assert record_result(payload) == {"submission_id": "1", "recorded": False}

    awards = db.scalars(select(AchievementAward)).all()
    assert [(a.user_id, a.achievement_id, a.submission_id) for a in awards] == [
        (student.id, "thread-master", submission.id)
    ]
    entries = db.scalars(select(ExpEntry)).all()
    assert [(e.amount, e.source_key) for e in entries] == [(100, "lab-passed:thread-lab")]


def test_passing_the_lab_again_earns_nothing_more(app, db, submission, student, make_grade_result):
    second = Submission(
        **{
            c: getattr(submission, c)
            for c in ("tenant_id", "user_id", "course_id", "lab_id", "code", "entrypoint")
        }
    )
    db.add(second)
    db.commit()
    with app.app_context():
        for sub in (submission, second):
            record_result(contract.encode(make_grade_result(str(sub.id), str(student.tenant_id))))
    assert len(db.scalars(select(AchievementAward)).all()) == 1
    assert len(db.scalars(select(ExpEntry)).all()) == 1


def test_a_failed_verdict_earns_nothing(app, db, submission, student, make_grade_result):
    with app.app_context():
        record_result(
            contract.encode(make_grade_result(str(submission.id), str(student.tenant_id), "failed"))
        )
    db.expire_all()
    assert db.get(Submission, submission.id).verdict == "failed"
    assert db.scalars(select(ExpEntry)).all() == []


def test_a_malformed_payload_is_refused(app, submission, caplog, make_grade_result):
    payload = contract.encode(make_grade_result("1", "1"))
    del payload["verdict"]
    with app.app_context(), pytest.raises(contract.MessageError, match="verdict"):
        record_result(payload)
    assert "malformed GradeResult" in caplog.text


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"submission_id": "999"}, UnknownSubmission),
        ({"submission_id": "abc"}, UnknownSubmission),
        ({"tenant_id": "999"}, ResultMismatch),
        ({"lab_id": "another-lab"}, ResultMismatch),
    ],
)
def test_a_result_that_is_not_this_submissions_is_refused(
    app, db, submission, student, changes, error, make_grade_result
):
    result = dataclasses.replace(make_grade_result("1", str(student.tenant_id)), **changes)
    with app.app_context(), pytest.raises(error):
        record_result(contract.encode(result))
    db.expire_all()
    assert db.get(Submission, submission.id).status == "queued"
