"""Submitting code: what reaches the real `grading` queue, and what never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import contract
from portal.catalogue.catalogue import get_catalogue
from portal.labs.service import Enqueued, enqueue_grading
from portal.labs.sweep import requeue_stale_submissions
from portal.models import Submission

GOOD_CODE = "const { Worker, isMainThread } = require('node:worker_threads');\n"


def _submission_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Submission))


def test_a_submission_is_committed_then_enqueued_as_a_grade_request(
    student_browser, student, grading_queue, db
):
    response = student_browser.submit_code(GOOD_CODE.replace("\n", "\r\n"))
    assert response.status_code == 302
    submission = db.scalars(select(Submission)).one()
    assert response.headers["Location"].endswith(f"?submission={submission.id}")
    assert submission.status == "queued"
    assert submission.code == GOOD_CODE  # line endings normalised

    assert grading_queue.count == 1
    job = grading_queue.jobs[0]
    assert job.id == contract.grade_job_id(str(submission.id))
    assert job.func_name == contract.GRADE_JOB
    assert job.timeout == 5 + 120
    assert job.failure_ttl == 24 * 3600
    assert job.retries_left == 3 and job.retry_intervals == [10, 30, 60]
    (payload,) = job.args
    request = contract.decode(contract.GradeRequest, payload)
    assert request.submission_id == str(submission.id)
    assert request.tenant_id == str(student.tenant_id)
    assert (request.lab_id, request.lab_kind) == ("thread-lab", "thread-lab")
    assert request.files == (contract.SubmittedFile("main.js", GOOD_CODE),)
    assert request.entrypoint == "main.js"
    assert request.limits == contract.Limits(
        wall_seconds=5.0, memory_mib=256, cpus=1.0, pids=64, output_bytes=1048576
    )
    assert request.check_config == {}
    queued_at = datetime.fromisoformat(request.queued_at)
    assert queued_at.tzinfo is not None
    assert abs(datetime.now(UTC) - queued_at) < timedelta(minutes=1)


def test_the_same_submission_is_never_enqueued_twice(app, student_browser, grading_queue, db):
    student_browser.submit_code(GOOD_CODE)
    submission = db.scalars(select(Submission)).one()
    with app.app_context():
        lab = get_catalogue().lab("node-workers", "thread-lab")
    assert enqueue_grading(grading_queue, submission, lab) is Enqueued.ALREADY
    assert grading_queue.count == 1


NUL = (
    "Your submission contains a NUL character (U+0000), which code cannot hold: remove it from line"
)


@pytest.mark.parametrize(
    ("code", "upload", "message"),
    [
        ("", None, "Your submission is empty."),
        ("  \r\n\t \n", None, "Your submission is empty."),
        ("x" * (64 * 1024 + 1), None, "Your submission is larger than 64 KiB."),
        ("//" + "é" * (32 * 1024), None, "Your submission is larger than 64 KiB."),
        ("console.log(1)\x00", None, f"{NUL} 1, column 15."),
        ("// é\nlet a\x00 = 1", None, f"{NUL} 2, column 6."),
        ("typed code stays", (b"console.log('\xff\xfe')", "main.js"), "not UTF-8 text."),
        ("typed code stays", (b"a\x00b", "main.js"), f"{NUL} 1, column 2."),
    ],
    ids=[
        "empty",
        "whitespace",
        "over-64-KiB",
        "over-64-KiB-in-bytes",
        "nul",
        "nul-on-line-2",
        "bad-upload",
        "nul-upload",
    ],
)
def test_bad_code_is_refused_with_its_reason_and_nothing_is_queued(
    student_browser, grading_queue, db, code, upload, message
):
    response = student_browser.submit_code(code, upload=upload)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if code.strip() and len(code) < 1000:
        assert code.strip() in page  # what the student typed is still in the editor
    assert grading_queue.count == 0
    assert _submission_count(db) == 0


def test_exactly_64_KiB_is_accepted(student_browser, grading_queue):
    response = student_browser.submit_code("/" * (64 * 1024))
    assert response.status_code == 302
    assert grading_queue.count == 1


def test_a_valid_upload_is_submitted_instead_of_the_editor(student_browser, grading_queue, db):
    upload = (b"console.log('from a file');\n", "main.js")
    assert student_browser.submit_code("ignored", upload=upload).status_code == 302
    assert db.scalars(select(Submission)).one().code == "console.log('from a file');\n"


def test_a_fourth_submission_in_flight_gets_429(student_browser, grading_queue, db):
    for _ in range(3):
        assert student_browser.submit_code(GOOD_CODE).status_code == 302
    response = student_browser.submit_code(GOOD_CODE + "// fourth")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "10"
    page = response.get_data(as_text=True)
    assert "You already have 3 submissions being graded" in page
    assert "// fourth" in page
    assert grading_queue.count == 3
    assert _submission_count(db) == 3


def test_when_redis_is_down_the_submission_waits_and_the_sweep_enqueues_it(
    app, make_app, make_browser, student, grading_queue, db
):
    down_app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    browser = make_browser(down_app)
    assert browser.log_in("ada@example.org", "correct horse battery").status_code == 302

    response = browser.submit_code(GOOD_CODE)
    assert response.status_code == 302
    page = browser.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Grading will start shortly." in page
    status = browser.client.get("/submissions/1/status", headers={"Accept": "application/json"})
    assert status.json["status"] == "queued"
    assert status.json["notice"] == "Your code is saved. Grading will start shortly."
    assert grading_queue.count == 0

    # Redis is back: the sweep finds the queued row without a job and enqueues it, once.
    with app.app_context():
        catalogue = get_catalogue()
    later = datetime.now(UTC) + timedelta(minutes=5)
    report = requeue_stale_submissions(db, grading_queue, catalogue, now=later)
    assert report.requeued == [1]
    assert grading_queue.count == 1
    report = requeue_stale_submissions(db, grading_queue, catalogue, now=later)
    assert report.requeued == [] and report.waiting == [1]
    assert grading_queue.count == 1


def test_after_submitting_the_editor_holds_the_submitted_code(student_browser, grading_queue):
    code = "console.log('my own <attempt>');\n"
    response = student_browser.submit_code(code)
    page = student_browser.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "console.log(&#39;my own &lt;attempt&gt;&#39;);" in page
    assert "Main thread: start a worker" not in page  # the starter is gone
