"""A Python submission graded on a deployed stack's `grading-python` queue, without the portal.

The deployment tests prove that a stack's Python graders work: their container picks a job
off their own queue, runs the Python sandbox through its Docker Engine, and publishes a
GradeResult for the web-worker. The request is built here as the portal builds one (the
Async Gather lab, its reference approach from tests/python_sandbox/solutions/, the lab
kind's own limits, the portal's retries) and enqueued from inside the stack's web
container, which holds the queue's password; the published GradeResult is read back from
the results queue's job.
The web-worker refuses to record it (no submission has that id), which is how a result
for a submission the portal does not know should end; the job keeps its payload.

Enqueue and read back are separate steps, so a test can grade other work meanwhile.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import contract
from grader.adapter import load_adapter
from portal.labs.service import GRADE_RETRY_INTERVALS

PYTHON_QUEUE = "grading-python"
LAB = "async-gather"
SOLUTION = Path(__file__).parents[1] / "python_sandbox" / "solutions" / "async_gather" / "gather.py"
# The course's settings for the lab. Three runs, not one: the loop-lag check fails only a
# lag seen in every run, and one run on a busy host can show a stall that is not the code's.
CHECK_CONFIG = {"urls": 20, "min_delay_ms": 50, "max_delay_ms": 300, "repeats": 3}

# Run as `python -c ENQUEUE <payload> <queue> <retry intervals>` in a container with
# REDIS_URL. Retried as the portal retries: an inconclusive measurement is measured again.
ENQUEUE = """
import json, os, sys
from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer
import contract
payload, queue_name, intervals = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
connection = Redis.from_url(os.environ["REDIS_URL"])
Queue(queue_name, connection=connection, serializer=JSONSerializer).enqueue(
    contract.GRADE_JOB, payload, job_id=contract.grade_job_id(payload["submission_id"]),
    job_timeout=150, result_ttl=3600, failure_ttl=3600,
    retry=Retry(max=len(intervals), interval=intervals),
)
"""

# Run as `python -c PUBLISHED <submission id> <seconds>`: the GradeResult once published
# (JSON), or `null` after <seconds>, with the grading job's status.
PUBLISHED = """
import json, os, sys, time
from redis import Redis
from rq.job import Job
from rq.serializers import JSONSerializer
import contract
submission_id, seconds = sys.argv[1], float(sys.argv[2])
connection = Redis.from_url(os.environ["REDIS_URL"])
deadline = time.monotonic() + seconds
result_job = contract.result_job_id(submission_id)
while not Job.exists(result_job, connection=connection) and time.monotonic() < deadline:
    time.sleep(1)
grading = Job.fetch(contract.grade_job_id(submission_id), connection=connection,
                    serializer=JSONSerializer)
published = None
if Job.exists(result_job, connection=connection):
    published = Job.fetch(result_job, connection=connection, serializer=JSONSerializer).args[0]
print(json.dumps({"grading_job": grading.get_status(), "result": published}))
"""


def grade_request() -> dict:
    """An encoded GradeRequest for the Async Gather lab with a correct, concurrent solution."""
    kind = load_adapter("python").lab_kind(LAB)
    request = contract.GradeRequest(
        schema_version=contract.SCHEMA_VERSION,
        submission_id=f"deploy-test-{uuid.uuid4().hex[:12]}",
        tenant_id="0",
        lab_id=LAB,
        lab_kind=LAB,
        files=(contract.SubmittedFile("main.py", SOLUTION.read_text()),),
        entrypoint="main.py",
        limits=kind.default_limits,
        check_config=CHECK_CONFIG,
        queued_at=datetime.now(UTC).isoformat(),
        result_versions=tuple(sorted(contract.GRADE_RESULT_VERSIONS)),
    )
    return contract.encode(request)


def enqueue_python_grading(run_in_web: Callable[..., str]) -> str:
    """Enqueue the request on `grading-python` through `run_in_web(*command)` (a command
    in the stack's web container); the submission id."""
    request = grade_request()
    retries = json.dumps(GRADE_RETRY_INTERVALS)
    run_in_web("python", "-c", ENQUEUE, json.dumps(request), PYTHON_QUEUE, retries)
    return request["submission_id"]


def published_result(
    run_in_web: Callable[..., str], submission_id: str, seconds: float
) -> tuple[str, dict | None]:
    """The grading job's status and the GradeResult its grader published (None: none
    within `seconds`)."""
    output = run_in_web("python", "-c", PUBLISHED, submission_id, str(seconds))
    answer = json.loads(output.strip().splitlines()[-1])
    return answer["grading_job"], answer["result"]
