"""The grader's logs: LOG_FORMAT=json gives one JSON object a line, secrets and code redacted.

A real `grader worker` grades a real submission from the real queue in the real sandbox:
its job picked up, container started and verdict carry the submission id, RQ's own lines
are JSON too, and the student's code appears nowhere, even in a job enqueued without a
description (RQ would describe it by its payload). The web writes its lines with the same
formatter (`contract.logs`), so one log pipeline reads both.
"""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
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
    logs,
)

SOLUTION = Path(__file__).parents[1] / "integration" / "solutions" / "thread_lab_commonjs.js"
GRADER = Path(sys.executable).parent / "grader"


def grader_worker(redis_url: str, sandbox_image: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GRADER), "worker", "--burst", "--redis-url", redis_url],
        env={
            "PATH": "/usr/bin:/bin",
            "SANDBOX_IMAGE": sandbox_image,
            "GRADER_METRICS_PORT": "0",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=180,
    )


def enqueue(redis_url: str, submission_id: str, code: str) -> None:
    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id=submission_id,
        tenant_id="3",
        lab_id="thread-lab",
        lab_kind="thread-lab",
        files=(SubmittedFile("main.js", code),),
        entrypoint="main.js",
        limits=Limits(wall_seconds=5, memory_mib=256, cpus=1, pids=64, output_bytes=1 << 20),
    )
    connection = Redis.from_url(redis_url)
    queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    # No description, as a careless enqueuer would: RQ's default is the call with its payload.
    queue.enqueue(GRADE_JOB, encode(request), job_id=grade_job_id(submission_id), job_timeout=120)
    connection.close()


@pytest.mark.docker
def test_a_graded_submission_is_logged_as_json_events_without_its_code(redis_url, sandbox_image):
    marker = f"code-marker-{secrets.token_hex(8)}"
    enqueue(redis_url, "7001", f"// {marker}\n{SOLUTION.read_text()}")

    worker = grader_worker(redis_url, sandbox_image, LOG_FORMAT="json")

    assert worker.returncode == 0, worker.stderr
    output = worker.stdout + worker.stderr
    assert marker not in output
    lines = [line for line in output.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {event["service"] for event in events} == {"grader"}
    ours = [event for event in events if event.get("submission_id") == "7001"]
    assert [event.get("event") for event in ours] == [
        "grading.started",
        "container.started",
        "grading.verdict",
    ]
    assert {event["tenant_id"] for event in ours} == {"3"}
    assert ours[-1]["verdict"] == "passed"
    assert any(event["logger"] == "rq.worker" for event in events)


@pytest.mark.docker
def test_without_log_format_the_lines_are_readable_text(redis_url, sandbox_image):
    enqueue(redis_url, "7002", SOLUTION.read_text())

    worker = grader_worker(redis_url, sandbox_image)

    assert worker.returncode == 0, worker.stderr
    verdict = [line for line in worker.stderr.splitlines() if "grader.jobs: verdict" in line]
    assert len(verdict) == 1 and "submission_id=7002" in verdict[0], worker.stderr
    assert not worker.stderr.lstrip().startswith("{")


def test_an_unknown_log_format_is_refused_in_one_line(redis_url):
    worker = subprocess.run(
        [str(GRADER), "worker", "--burst", "--redis-url", redis_url],
        env={"PATH": "/usr/bin:/bin", "LOG_FORMAT": "yaml"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 2
    assert worker.stderr == "grader: LOG_FORMAT: expected json or text, not 'yaml'\n"


def record(message: str, *args, **extra) -> logging.LogRecord:
    made = logging.LogRecord("grader.test", logging.INFO, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


@pytest.mark.parametrize(
    ("made", "secret"),
    [
        (record("job %s", {"files": [{"path": "main.js", "text": "let x = 1"}]}), "let x = 1"),
        (record("job", payload={"source": "process.exit(1)"}), "process.exit(1)"),
        (record("valkey at redis://:vk-secret-1@valkey:6379/0"), "vk-secret-1"),
        (record("engine", docker_token="dt-5551"), "dt-5551"),
        (record("retry api_key=ak-777 now"), "ak-777"),
    ],
    ids=["files", "source", "url-password", "token-field", "key-pair"],
)
def test_secret_and_code_names_are_redacted(made, secret):
    logs.RedactSecrets().filter(made)
    line = logs.JsonFormatter("grader").format(made)
    assert secret not in line
    assert "[redacted]" in line


def test_the_job_context_reaches_every_record_and_ends_with_the_job():
    with logs.log_context(submission_id="9", tenant_id="2"):
        inside = json.loads(logs.JsonFormatter("grader").format(record("picked up", event="x")))
    after = json.loads(logs.JsonFormatter("grader").format(record("idle")))
    assert (inside["submission_id"], inside["tenant_id"], inside["event"]) == ("9", "2", "x")
    assert "submission_id" not in after
