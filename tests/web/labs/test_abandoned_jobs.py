"""A grader killed with SIGKILL mid-job: the submission is graded again, once, by another.

Real processes all the way: two real `grader worker`s wait, a student submits through the
portal, and the grader that starts the sandbox container is killed with SIGKILL together
with its work-horse and scheduler, as a crashed host or an OOM killer would. The other must
notice and re-grade it within the product's bound (the lab's time limit plus 30 s), the
page must say it is being retried meanwhile, the verdict must be recorded once with EXP
awarded once, and the dead grader's container must be removed within a minute.
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
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

import contract
from portal.models import ExpEntry, Submission
from tests.conftest import SANDBOX_LABEL
from tests.web.conftest import PASSWORD

SOLUTIONS = Path(__file__).parents[2] / "integration" / "solutions"
SUBMISSION_LABEL = "org.course-platform.submission"
GRADER_LABEL = "org.course-platform.grader"
GRADER = str(Path(sys.executable).parent / "grader")
THREAD_LAB_WALL_SECONDS = 5  # content/courses/*/course.yaml
# The product's guarantee: re-graded within the lab's time limit plus 30 s of the kill.
REGRADED_WITHIN_SECONDS = THREAD_LAB_WALL_SECONDS + 30
CONTAINER_GONE_WITHIN_SECONDS = 60
BACKEND = "postgresql" if os.environ.get("TEST_DATABASE_URL") or os.environ.get("CI") else "sqlite"

pytestmark = pytest.mark.docker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_grader(redis_url: str, name: str, sandbox_image: str) -> subprocess.Popen:
    env = {
        "PATH": "/usr/bin:/bin",
        "SANDBOX_IMAGE": sandbox_image,
        "GRADER_METRICS_PORT": str(free_port()),
    }
    command = [GRADER, "worker", "--redis-url", redis_url, "--name", name]
    return subprocess.Popen(command, env=env, start_new_session=True)


def descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def wait_for(what: str, seconds: float, check):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what} not within {seconds:.0f} s")


@pytest.mark.parametrize("database_url", [BACKEND], indirect=True)
def test_a_killed_graders_submission_is_regraded_once_by_another(
    app, db, browser, redis_url, docker_client, sandbox_image, no_leftover_containers
):
    assert browser.register("kim@example.org", "Kim", PASSWORD).status_code == 302
    assert browser.log_in("kim@example.org", PASSWORD).status_code == 302
    connection = Redis.from_url(redis_url)
    graders = {
        name: start_grader(redis_url, name, sandbox_image) for name in ("grader-a", "grader-b")
    }
    try:
        for name in graders:
            wait_for(
                f"{name} alive", 60, lambda name=name: connection.exists(f"grader:alive:{name}")
            )
        code = (SOLUTIONS / "thread_lab_after_a_pause.js").read_text()
        submission_id = browser.submit_code(code).headers["Location"].rsplit("=", 1)[1]
        status_url = f"/submissions/{submission_id}/status"
        containers = wait_for(
            "the sandbox container",
            60,
            lambda: docker_client.containers.list(
                filters={"label": [SANDBOX_LABEL, f"{SUBMISSION_LABEL}={submission_id}"]}
            ),
        )
        # Whichever grader took the job dies: the worker, its work-horse and its scheduler
        # at once, so nothing of it gets to clean up.
        doomed = graders[containers[0].labels[GRADER_LABEL]]
        for pid in [doomed.pid, *descendants(doomed.pid)]:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        doomed.wait()

        statuses = set()

        def published() -> bool:
            statuses.add(browser.client.get(status_url).get_json()["status"])
            return connection.exists(f"rq:job:{contract.result_job_id(submission_id)}")

        wait_for("the re-grade's result", REGRADED_WITHIN_SECONDS, published)
        regraded_after = time.monotonic() - killed_at
        wait_for(
            "the dead grader's container removed",
            CONTAINER_GONE_WITHIN_SECONDS - (time.monotonic() - killed_at),
            lambda: not docker_client.containers.list(all=True, filters={"id": containers[0].id}),
        )
    finally:
        for grader in graders.values():
            if grader.poll() is None:
                grader.send_signal(signal.SIGTERM)
                grader.wait(timeout=60)

    print(f"re-graded {regraded_after:.1f} s after the kill")
    assert "retrying" in statuses, statuses
    job = Job.fetch(
        contract.grade_job_id(submission_id), connection=connection, serializer=JSONSerializer
    )
    assert job.meta[contract.REGRADING_META] == 1  # requeued once, by one of the graders
    results = connection.lrange(f"rq:queue:{contract.RESULTS_QUEUE}", 0, -1)
    assert results == [contract.result_job_id(submission_id).encode()]  # published once

    outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert outcome.exit_code == 0, outcome.output
    status = browser.client.get(status_url).get_json()
    assert status["final"] and status["verdict"] == "passed" and status["counts"], status
    submission = db.get(Submission, int(submission_id))
    exp = db.scalars(select(ExpEntry).where(ExpEntry.user_id == submission.user_id)).all()
    assert [entry.amount for entry in exp] == [100]  # the lab's EXP, awarded once
