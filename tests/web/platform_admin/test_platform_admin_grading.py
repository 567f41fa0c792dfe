"""The grading health page against the real Valkey: queues, workers, failed jobs.

Waiting jobs, a failed job (really run, and really failing, by an in-process RQ worker)
and a registered worker are made with RQ itself, as the graders would make them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

import contract
from portal.models import AuditEvent, Role
from tests.web.conftest import PASSWORD

STUDENT_CODE = "console.log('SECRET-STUDENT-CODE')"


def crash_the_grader(payload: dict) -> None:
    """A job that fails the way a broken grader does (run by the in-process worker)."""
    raise RuntimeError("grader crashed\nsandbox said: <script>alert(1)</script>")


@pytest.fixture
def platform_browser(make_user, browser):
    make_user("ops@example.org", PASSWORD, "Ops", Role.PLATFORM_ADMIN)
    assert browser.log_in("ops@example.org", PASSWORD).status_code == 302
    return browser


@pytest.fixture
def failed_job(grading_queue: Queue, redis_connection) -> Job:
    """A job of the grading queue that ran and failed, with a student's code as payload."""
    job = grading_queue.enqueue(
        f"{__name__}.crash_the_grader", {"code": STUDENT_CODE}, job_id="submission-41"
    )
    worker = SimpleWorker([grading_queue], connection=redis_connection, serializer=JSONSerializer)
    worker.work(burst=True)
    assert job.get_status(refresh=True) == "failed"
    return job


def waiting_jobs(grading_queue: Queue, count: int, minutes_ago: int) -> list[Job]:
    jobs = [grading_queue.enqueue(contract.GRADE_JOB, {"code": STUDENT_CODE}) for _ in range(count)]
    jobs[0].enqueued_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    jobs[0].save()
    return jobs


def row(page: str, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row {row_id}"
    return re.sub(r"\s+", " ", match.group(1))


def test_the_page_shows_queues_workers_and_failed_jobs(
    platform_browser, grading_queue, redis_connection, failed_job
):
    waiting_jobs(grading_queue, 2, minutes_ago=7)
    worker = Worker(
        [grading_queue], connection=redis_connection, name="grader-7", serializer=JSONSerializer
    )
    worker.register_birth()
    worker.set_state("busy")
    worker.heartbeat()
    running = grading_queue.enqueue(contract.GRADE_JOB, {}, job_id="submission-40")
    grading_queue.remove(running)
    worker.prepare_execution(running)
    try:
        response = platform_browser.client.get("/platform/grading")
    finally:
        worker.register_death()
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    grading = row(page, "queue-grading")
    assert re.search(r'<td class="number">2</td> <td>7 min ago</td>', grading), grading
    assert grading.endswith('<td class="number">1</td> <td class="number">1</td> ')
    results = row(page, f"queue-{contract.RESULTS_QUEUE}")
    assert '<td class="number">0</td> <td>—</td>' in results

    assert re.search(
        r"<th scope=\"row\">grader-7</th>\s*<td>busy</td>\s*<td>grading</td>\s*"
        r"<td>submission-40</td>",
        page,
    )
    assert " UTC</time>" in page  # its last heartbeat

    assert "submission-41" in page
    assert f"{__name__}.crash_the_grader" in page
    # The last line of the error only, escaped; never the payload.
    assert "sandbox said: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "grader crashed" not in page
    assert "SECRET-STUDENT-CODE" not in page


def test_a_failed_job_is_requeued(platform_browser, db, grading_queue, failed_job):
    path = "/platform/grading/queues/grading/failed/submission-41/requeue"
    response = platform_browser.post_form(path, {}, form_page="/platform/grading")
    assert response.status_code == 302
    assert grading_queue.failed_job_registry.get_job_ids() == []
    assert grading_queue.get_job_ids() == ["submission-41"]
    page = platform_browser.client.get("/platform/grading").get_data(as_text=True)
    assert "Job submission-41 requeued." in page and "No failed jobs." in page
    audit = db.scalars(select(AuditEvent)).one()
    assert (audit.action, audit.target, audit.detail) == (
        "grading.job_requeued",
        "job:submission-41",
        {"queue": "grading"},
    )


def test_a_failed_job_is_deleted(platform_browser, db, grading_queue, redis_connection, failed_job):
    path = "/platform/grading/queues/grading/failed/submission-41/delete"
    response = platform_browser.post_form(path, {}, form_page="/platform/grading")
    assert response.status_code == 302
    assert grading_queue.failed_job_registry.get_job_ids() == []
    assert grading_queue.get_job_ids() == []
    with pytest.raises(NoSuchJobError):
        Job.fetch("submission-41", connection=redis_connection, serializer=JSONSerializer)
    assert db.scalars(select(AuditEvent.action)).all() == ["grading.job_deleted"]
    # A second click finds nothing: 404, and nothing more is audited.
    response = platform_browser.post_form(path, {}, form_page="/platform/grading")
    assert response.status_code == 404
    assert len(db.scalars(select(AuditEvent)).all()) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/platform/grading/queues/grading/failed/no-such-job/requeue",
        "/platform/grading/queues/elsewhere/failed/submission-41/delete",
    ],
)
def test_an_unknown_failed_job_or_queue_is_404(platform_browser, failed_job, path):
    response = platform_browser.post_form(path, {}, form_page="/platform/grading")
    assert response.status_code == 404


def test_a_waiting_job_is_not_a_failed_job(platform_browser, grading_queue):
    job = waiting_jobs(grading_queue, 1, minutes_ago=1)[0]
    path = f"/platform/grading/queues/grading/failed/{job.id}/delete"
    response = platform_browser.post_form(path, {}, form_page="/platform/grading")
    assert response.status_code == 404
    assert grading_queue.get_job_ids() == [job.id]


def test_without_workers_the_page_says_nothing_is_graded(platform_browser):
    page = platform_browser.client.get("/platform/grading").get_data(as_text=True)
    assert "No worker is alive" in page and "No failed jobs." in page


def test_an_unreachable_queue_server_is_a_503_with_a_clear_message(
    make_app, make_user, make_browser
):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    make_user("ops@example.org", PASSWORD, "Ops", Role.PLATFORM_ADMIN)
    browser = make_browser(app)
    assert browser.log_in("ops@example.org", PASSWORD).status_code == 302
    response = browser.client.get("/platform/grading")
    assert response.status_code == 503
    assert "queue server is unreachable" in response.get_data(as_text=True)
    path = "/platform/grading/queues/grading/failed/submission-41/requeue"
    response = browser.post_form(path, {}, form_page="/platform/")
    assert response.status_code == 503
    assert "queue server is unreachable" in response.get_data(as_text=True)
    # The rest of the platform pages do not need the queue server.
    assert browser.client.get("/platform/").status_code == 200
