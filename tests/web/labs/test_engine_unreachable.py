"""The Docker Engine unreachable from a grader mid-job: retried, graded once when it returns.

Real processes: a real `grader worker` talks to the machine's Docker Engine through a
unix-socket proxy this test owns (DOCKER_HOST), so the Engine can go away for this grader
alone while other users of the machine's dockerd see nothing. A student submits; once the
sandbox container runs, the proxy is cut (new connections refused, live ones closed).
The grading must end in infra_error that is retried, not published; the grader must say it
is not ready (/readyz 503 naming the Engine) and take no job meanwhile, so the job waits on
the queue with its retries kept, the page saying it is being retried; when the proxy is
restored the submission is graded, once, with its EXP awarded once, and the container the
lost run left is removed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

import contract
from portal.labs.service import GRADE_RETRY_INTERVALS
from portal.models import Submission
from tests.conftest import SANDBOX_LABEL, require
from tests.fault_proxies import FaultProxy
from tests.web.conftest import PASSWORD
from tests.web.labs.rewards_support import assert_rewarded_once
from tests.web.labs.test_abandoned_jobs import (
    BACKEND,
    GRADER,
    SOLUTIONS,
    SUBMISSION_LABEL,
    free_port,
    wait_for,
)

# Longer than the first retry interval: the retried job is back on the queue while the
# Engine is still away, and the grader must leave it there.
ENGINE_AWAY_SECONDS = GRADE_RETRY_INTERVALS[0] + 10
# A bound on a hang, not a speed target: one Thread Lab run after the Engine returns.
GRADED_WITHIN_SECONDS = 90

pytestmark = pytest.mark.docker


def engine_socket() -> str:
    """The machine's Docker Engine socket, which the proxy forwards to."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    require(host.startswith("unix://"), f"the Engine is not on a unix socket here ({host})")
    return host.removeprefix("unix://")


@pytest.fixture
def engine_proxy(docker_client):
    """A unix socket forwarding to the Engine; short path (a unix socket's is at most 107)."""
    directory = tempfile.mkdtemp(prefix="engine-proxy-")
    proxy = FaultProxy(f"{directory}/docker.sock", engine_socket()).start()
    yield proxy
    proxy.close()
    Path(proxy.listen_address).unlink(missing_ok=True)
    os.rmdir(directory)


def readiness(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return 0, {}  # not listening yet


@pytest.mark.parametrize("database_url", [BACKEND], indirect=True)
def test_a_grader_that_loses_its_engine_grades_the_submission_when_it_returns(
    app, db, browser, redis_url, docker_client, sandbox_image, engine_proxy, no_leftover_containers
):
    assert browser.register("noa@example.org", "Noa", PASSWORD).status_code == 302
    assert browser.log_in("noa@example.org", PASSWORD).status_code == 302
    connection = Redis.from_url(redis_url)
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "SANDBOX_IMAGE": sandbox_image,
        "GRADER_METRICS_PORT": str(port),
        "DOCKER_HOST": f"unix://{engine_proxy.listen_address}",
    }
    grader = subprocess.Popen(
        [GRADER, "worker", "--redis-url", redis_url, "--name", "grader-a"], env=env
    )
    try:
        wait_for("the grader ready", 60, lambda: readiness(port)[0] == 200)
        code = (SOLUTIONS / "thread_lab_after_a_pause.js").read_text()
        submission_id = browser.submit_code(code).headers["Location"].rsplit("=", 1)[1]
        status_url = f"/submissions/{submission_id}/status"
        labels = [SANDBOX_LABEL, f"{SUBMISSION_LABEL}={submission_id}"]
        first = wait_for(
            "the sandbox container",
            60,
            lambda: docker_client.containers.list(filters={"label": labels}),
        )[0]

        engine_proxy.cut()
        cut_at = time.monotonic()
        job_id = contract.grade_job_id(submission_id)

        def job() -> Job:
            return Job.fetch(job_id, connection=connection, serializer=JSONSerializer)

        wait_for("/readyz 503", 30, lambda: readiness(port)[0] == 503)
        body = readiness(port)[1]
        assert "Docker Engine" in body["checks"]["docker"], body
        # The run's infra_error is retried later, not published to the student ...
        wait_for("the retry scheduled", 60, lambda: job().get_status() == JobStatus.SCHEDULED)
        # ... and back on the queue after its interval, where the grader leaves it.
        wait_for(
            "the job back on the queue",
            ENGINE_AWAY_SECONDS,
            lambda: job().get_status() == JobStatus.QUEUED,
        )
        page = browser.client.get(status_url).get_json()
        assert not page["final"] and page["status"] == "retrying", page  # and not counted
        assert not connection.exists(f"rq:job:{contract.result_job_id(submission_id)}")
        assert readiness(port)[0] == 503
        assert job().retries_left == len(GRADE_RETRY_INTERVALS) - 1, "a retry was spent"
        away = time.monotonic() - cut_at

        engine_proxy.restore()
        restored_at = time.monotonic()
        wait_for(
            "the result published",
            GRADED_WITHIN_SECONDS,
            lambda: connection.exists(f"rq:job:{contract.result_job_id(submission_id)}"),
        )
        published_after = time.monotonic() - restored_at
        assert readiness(port)[0] == 200
        # The lost run's container, which its horse could not remove, is gone too.
        wait_for(
            "the lost run's container removed",
            30,
            lambda: not docker_client.containers.list(all=True, filters={"id": first.id}),
        )
        assert grader.poll() is None, "the grader stopped"
    finally:
        if grader.poll() is None:
            grader.send_signal(signal.SIGTERM)
            grader.wait(timeout=60)

    print(f"Engine away {away:.1f} s; result published {published_after:.1f} s after it returned")
    results = connection.lrange(f"rq:queue:{contract.RESULTS_QUEUE}", 0, -1)
    assert results == [contract.result_job_id(submission_id).encode()]  # published once
    outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert outcome.exit_code == 0, outcome.output
    page = browser.client.get(status_url).get_json()
    assert page["final"] and page["verdict"] == "passed" and page["counts"], page
    assert_rewarded_once(db, db.get(Submission, int(submission_id)).user_id)
