"""The grader's HTTP server: /healthz, /readyz and /metrics, for real.

The server is started on a free port against the real Docker Engine, the real sandbox
image and a real Valkey; the last test runs a real `grader worker` process, has it grade
two submissions in real containers, and reads what its work-horses counted from /metrics.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from contract import (
    GRADE_JOB,
    GRADING_QUEUE,
    SCHEMA_VERSION,
    GradeRequest,
    Limits,
    SubmittedFile,
    encode,
    grade_job_id,
)
from grader.health_server import HttpSettings, start_http_server

SOLUTIONS = Path(__file__).parents[1] / "integration" / "solutions"
GRADER = str(Path(sys.executable).parent / "grader")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, token: str = "") -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def serve():
    """Start a grader HTTP server with the given settings; stopped after the test."""
    servers = []

    def start(settings: HttpSettings) -> str:
        server = start_http_server(settings, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.docker
def test_healthz_and_readyz_with_the_real_engine_image_and_valkey(serve, redis_url, sandbox_image):
    base = serve(HttpSettings(redis_url, sandbox_image, metrics_dir=None))

    assert get(f"{base}/healthz") == (200, '{"status": "alive"}\n')
    status, body = get(f"{base}/readyz")
    assert status == 200, body
    assert json.loads(body) == {"status": "ready", "checks": {"docker": "ok", "valkey": "ok"}}


@pytest.mark.docker
def test_readyz_names_a_missing_sandbox_image(serve, redis_url, docker_client):
    base = serve(HttpSettings(redis_url, "course-sandbox-node:no-such-tag", metrics_dir=None))

    status, body = get(f"{base}/readyz")

    assert status == 503
    assert json.loads(body)["checks"] == {
        "docker": "the sandbox image course-sandbox-node:no-such-tag is missing",
        "valkey": "ok",
    }


@pytest.mark.docker
def test_readyz_says_when_valkey_is_unreachable(serve, sandbox_image):
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    base = serve(HttpSettings(nobody_listens, sandbox_image, metrics_dir=None))

    status, body = get(f"{base}/readyz")

    assert status == 503
    checks = json.loads(body)["checks"]
    assert checks["docker"] == "ok"
    assert checks["valkey"].startswith("Valkey is unreachable")
    assert get(f"{base}/healthz")[0] == 200  # alive, only not ready


def test_metrics_need_the_token_when_one_is_set(serve, tmp_path):
    base = serve(HttpSettings("redis://127.0.0.1:1/0", "any", str(tmp_path), "s3cret-token"))

    assert get(f"{base}/metrics")[0] == 404
    assert get(f"{base}/metrics", token="wrong")[0] == 404
    status, body = get(f"{base}/metrics", token="s3cret-token")
    assert status == 200
    assert list(text_string_to_metric_families(body)) == []  # nothing graded yet
    assert get(f"{base}/nowhere")[0] == 404


def enqueue(connection: Redis, submission_id: str, solution: str) -> None:
    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=submission_id,
        tenant_id="1",
        lab_id="thread-lab",
        lab_kind="thread-lab",
        files=(SubmittedFile("main.js", (SOLUTIONS / solution).read_text()),),
        entrypoint="main.js",
        limits=Limits(wall_seconds=5, memory_mib=256, cpus=1, pids=64, output_bytes=1 << 20),
    )
    queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    queue.enqueue(GRADE_JOB, encode(request), job_id=grade_job_id(submission_id), job_timeout=120)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.docker
def test_a_worker_serves_what_its_work_horses_counted(
    redis_url, sandbox_image, tmp_path, no_leftover_containers
):
    connection = Redis.from_url(redis_url)
    enqueue(connection, "301", "never_sends.js")
    enqueue(connection, "302", "crashes.js")
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "SANDBOX_IMAGE": sandbox_image,
        "GRADER_METRICS_PORT": str(port),
        "TMPDIR": str(tmp_path),  # where the worker keeps its metrics files
    }
    worker = subprocess.Popen(
        [GRADER, "worker", "--redis-url", redis_url, "--name", f"metrics-test-{os.getpid()}"],
        env=env,
    )
    try:
        deadline = time.monotonic() + 180
        seen: dict = {}
        while time.monotonic() < deadline and worker.poll() is None:
            try:
                status, text = get(f"http://127.0.0.1:{port}/metrics")
            except OSError:  # not listening yet
                status, text = 0, ""
            if status == 200:
                seen = samples(text)
                if _graded(seen) >= 2:
                    break
            time.sleep(0.5)
        assert worker.poll() is None, "the worker stopped"
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        files = {path.name for path in tmp_path.glob("grader-metrics-*/*")}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)

    thread_lab = (("lab", "thread-lab"),)
    assert seen[("grader_jobs_total", (*thread_lab, ("verdict", "failed")))] == 1
    assert seen[("grader_jobs_total", (*thread_lab, ("verdict", "error")))] == 1
    assert seen[("grader_sandbox_outcomes_total", (("outcome", "exited"),))] == 2
    assert seen[("grader_container_start_seconds_count", ())] == 2
    assert seen[("grader_container_start_seconds_sum", ())] > 0
    assert seen[("grader_job_seconds_count", ())] == 2
    # The two horses (one per job) shared one file per kind of metric, not one per pid.
    assert files == {"counter_horse.db", "histogram_horse.db"}
    assert list(tmp_path.glob("grader-metrics-*")) == []  # removed when the worker stopped


def _graded(seen: dict) -> float:
    return sum(value for (name, _), value in seen.items() if name == "grader_jobs_total")
