"""`/metrics`: who may read it, the queues read from a real Valkey, requests and gradings.

The last test runs the real thing: gunicorn with two workers and the multiprocess hooks,
the web-worker recording a real result from the real results queue, and a scrape over
HTTP that sums what every process counted.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from rq import Worker
from rq.serializers import JSONSerializer

import contract
from portal.jobs import record_result
from tests.web.conftest import REPO_ROOT, grade_result

BIN = Path(sys.executable).parent
TIMES = contract.PhaseTimes(
    queued="2026-01-01T10:00:00+00:00",
    started="2026-01-01T10:00:04+00:00",
    container_started="2026-01-01T10:00:05+00:00",
    finished="2026-01-01T10:00:12+00:00",
)
PHASES = ("queued", "container_start", "run", "result_recorded")


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape, by name and labels (parsing fails on a malformed text)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **kwargs) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def value(seen: dict, name: str, **labels: str) -> float:
    return seen.get((name, frozenset(labels.items())), 0.0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- who may read it ----------------------------------------------------------------------


def test_without_a_token_only_loopback_is_served(client):
    scrape(client)  # the test client comes from 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    elsewhere = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert elsewhere.status_code == 404


def test_with_a_token_every_caller_needs_it(make_app):
    client = make_app(METRICS_TOKEN="metrics-s3cret").test_client()

    assert client.get("/metrics").status_code == 404  # loopback is not enough then
    wrong = {"Authorization": "Bearer metrics-guess"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    scrape(client, headers={"Authorization": "Bearer metrics-s3cret"})
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    right = {"Authorization": "Bearer metrics-s3cret"}
    scrape(client, headers=right, environ_base=outside)


# --- the queues, from the real Valkey ------------------------------------------------------


def test_queue_depth_oldest_age_and_live_workers(client, grading_queue, redis_connection):
    first = grading_queue.enqueue(contract.GRADE_JOB, {"submission": "a"})
    grading_queue.enqueue(contract.GRADE_JOB, {"submission": "b"})
    first.enqueued_at = datetime.now(UTC) - timedelta(seconds=90)
    first.save()
    worker = Worker(
        [grading_queue], connection=redis_connection, serializer=JSONSerializer, name="w-live"
    )
    worker.register_birth()
    # A worker killed hard stays in the queue's set after its own key expired.
    redis_connection.sadd(f"rq:workers:{contract.GRADING_QUEUE}", "rq:worker:w-killed")
    # Two schools' submissions held back for their turn (portal.labs.fairness writes these).
    redis_connection.hset(contract.waiting_key(contract.GRADING_QUEUE), mapping={"1": 3, "2": 1})

    seen = scrape(client)

    grading = {"queue": contract.GRADING_QUEUE}
    assert value(seen, "portal_queue_server_up") == 1
    assert value(seen, "portal_queue_jobs", **grading) == 2
    assert value(seen, "portal_queue_oldest_job_age_seconds", **grading) >= 90
    assert value(seen, "portal_queue_running_jobs", **grading) == 0
    assert value(seen, "portal_queue_workers", **grading) == 1
    assert value(seen, "portal_queue_held_submissions", **grading) == 4
    results = {"queue": contract.RESULTS_QUEUE}
    assert ("portal_queue_jobs", frozenset(results.items())) in seen
    assert value(seen, "portal_queue_oldest_job_age_seconds", **results) == 0


def test_an_unreachable_valkey_is_reported_not_failed(make_app):
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()

    seen = scrape(client)

    assert value(seen, "portal_queue_server_up") == 0
    assert not any(name == "portal_queue_jobs" for name, _ in seen)


def test_a_scrape_needs_no_database(make_app, tmp_path):
    unreachable = f"sqlite:///{tmp_path / 'no-such-dir' / 'portal.sqlite3'}"
    client = make_app(DATABASE_URL=unreachable).test_client()

    assert value(scrape(client), "portal_queue_server_up") == 1


# --- requests and gradings -----------------------------------------------------------------


def test_requests_are_labelled_by_endpoint_never_by_path(client):
    before = scrape(client)
    assert client.get("/").status_code == 200
    assert client.get("/no/such/page-4711").status_code == 404

    response = client.get("/metrics")
    after = samples(response.get_data(as_text=True))

    index = {"endpoint": "courses.index", "method": "GET"}
    count = "portal_http_request_duration_seconds_count"
    assert value(after, count, **index) == value(before, count, **index) + 1
    ok = {**index, "status": "200"}
    assert (
        value(after, "portal_http_requests_total", **ok)
        == value(before, "portal_http_requests_total", **ok) + 1
    )
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "portal_http_requests_total", **unmatched) >= 1
    assert "page-4711" not in response.get_data(as_text=True)


def test_a_recorded_grading_counts_its_verdict_and_phases_once(app, client, submission, student):
    result = grade_result(str(submission.id), str(student.tenant_id), "failed", times=TIMES)
    before = scrape(client)

    with app.app_context():
        assert record_result(contract.encode(result))["recorded"] is True
        assert record_result(contract.encode(result))["recorded"] is False  # a duplicate
    after = scrape(client)

    verdict = {"lab": "thread-lab", "verdict": "failed"}
    name = "portal_grading_verdicts_total"
    assert value(after, name, **verdict) == value(before, name, **verdict) + 1
    # The lab's other verdicts are there too, so that their first step can be seen.
    infra_error = (
        "portal_grading_verdicts_total",
        frozenset({("lab", "thread-lab"), ("verdict", "infra_error")}),
    )
    assert infra_error in after
    for phase in PHASES:
        for suffix in ("count", "sum"):
            series = f"portal_grading_phase_seconds_{suffix}"
            assert value(after, series, phase=phase) > value(before, series, phase=phase)
    # 4 s queued, 1 s starting the container: both land in their buckets exactly.
    bucket = "portal_grading_phase_seconds_bucket"
    for phase, within, below in (("queued", "5.0", "2.5"), ("container_start", "1.0", "0.5")):
        grew = value(after, bucket, phase=phase, le=within) - value(
            before, bucket, phase=phase, le=within
        )
        not_below = value(after, bucket, phase=phase, le=below) - value(
            before, bucket, phase=phase, le=below
        )
        assert (grew, not_below) == (1, 0), phase


# --- the real thing: gunicorn workers and the web-worker share one metrics directory -------


def test_gunicorn_and_the_web_worker_are_summed_in_one_scrape(
    app, submission, student, results_queue, database_url, redis_url, tmp_path
):
    result = grade_result(str(submission.id), str(student.tenant_id), "passed", times=TIMES)
    results_queue.enqueue(
        contract.RECORD_RESULT_JOB,
        contract.encode(result),
        job_id=contract.result_job_id(result.submission_id),
    )
    metrics_dir = tmp_path / "metrics"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PORTAL_DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "metrics-test-secret",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    metrics_dir.mkdir()
    recorded = subprocess.run(
        [str(BIN / "flask"), "--app", "portal", "results-worker", "--burst"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert recorded.returncode == 0, recorded.stderr.decode()

    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(REPO_ROOT / "services" / "web" / "gunicorn.conf.py"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "portal.wsgi:app",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/", server)
        for _ in range(6):
            assert http_get(f"{base}/")[0] == 200
        status, text = http_get(f"{base}/metrics")
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()

    assert status == 200
    seen = samples(text)
    index = {"endpoint": "courses.index", "method": "GET", "status": "200"}
    assert value(seen, "portal_http_requests_total", **index) == 7  # the wait's GET too
    assert value(seen, "portal_grading_verdicts_total", lab="thread-lab", verdict="passed") == 1
    for phase in PHASES:
        assert value(seen, "portal_grading_phase_seconds_count", phase=phase) == 1
    assert value(seen, "portal_queue_server_up") == 1
    # One file per process and kind, named after the host and pid (gunicorn's two workers
    # and the web-worker wrote; the master never counts anything).
    host = socket.gethostname().replace("_", "-")
    writers = {path.stem.split("_", 1)[1] for path in metrics_dir.glob("*.db")}
    assert len(writers) >= 2
    assert all(writer.startswith(f"{host}-") for writer in writers)


def http_get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
        try:
            if http_get(url)[0] == 200:
                return
        except OSError:  # not listening yet
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within 60 s")
