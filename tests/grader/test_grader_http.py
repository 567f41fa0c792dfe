"""The grader's HTTP server: /healthz, /readyz and /metrics, for real.

The server is started on a free port against the real Docker Engine, the real sandbox
image and a real Valkey; the last test runs a real `grader worker` process (the
`graded_by_worker` fixture), has it grade two submissions in real containers, and reads
what its work-horses counted from /metrics.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from grader.health_server import HttpSettings, start_http_server

GRADER = str(Path(sys.executable).parent / "grader")
KINDS = ("counter", "histogram")


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
def test_readyz_names_a_sandbox_runtime_the_engine_lacks(serve, redis_url, sandbox_image):
    settings = HttpSettings(redis_url, sandbox_image, None, sandbox_runtime="no-such-runtime")
    base = serve(settings)

    status, body = get(f"{base}/readyz")

    assert status == 503
    problem = json.loads(body)["checks"]["docker"]
    assert problem.startswith("the Docker Engine has no runtime 'no-such-runtime'")
    assert "runc" in problem and "deploy/README.md" in problem  # what it knows, what to read


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


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.docker
def test_a_worker_serves_what_its_work_horses_counted(graded_by_worker, tmp_path):
    text, files = graded_by_worker({"301": "never_sends.js", "302": "crashes.js"})

    seen = samples(text)
    thread_lab = (("lab", "thread-lab"),)
    assert seen[("grader_jobs_total", (*thread_lab, ("verdict", "failed")))] == 1
    assert seen[("grader_jobs_total", (*thread_lab, ("verdict", "error")))] == 1
    assert seen[("grader_sandbox_outcomes_total", (("outcome", "exited"),))] == 2
    assert seen[("grader_sandbox_outcomes_total", (("outcome", "infra_error"),))] == 0
    assert seen[("grader_container_start_seconds_count", ())] == 2
    assert seen[("grader_container_start_seconds_sum", ())] > 0
    assert seen[("grader_job_seconds_count", ())] == 2
    # The two horses (one per job) shared one file per kind of metric, not one per pid.
    assert files == {f"{kind}_{who}.db" for kind in KINDS for who in ("worker", "horse")}
    assert list(tmp_path.glob("grader-metrics-*")) == []  # removed when the worker stopped


def test_a_busy_port_is_reported_and_the_worker_works_anyway(redis_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = subprocess.run(
            [GRADER, "worker", "--burst", "--redis-url", redis_url],
            env={"PATH": "/usr/bin:/bin", "GRADER_METRICS_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert worker.returncode == 0, worker.stderr
    assert f"grader: no /healthz or /metrics on 127.0.0.1:{port}" in worker.stderr
