"""The queue path: a GradeRequest on `grading` comes back as a GradeResult on `grading-results`.

Real Valkey, a real `grader worker` process, a real Docker Engine and the real image.
"""

from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from contract import (
    GRADE_JOB,
    GRADING_QUEUE,
    RECORD_RESULT_JOB,
    RESULTS_QUEUE,
    SCHEMA_VERSION,
    GradeRequest,
    GradeResult,
    Limits,
    SubmittedFile,
    decode,
    encode,
    grade_job_id,
)

SOLUTIONS = Path(__file__).parent / "solutions"

pytestmark = pytest.mark.docker


def enqueue(connection, submission_id: str, solution: str) -> None:
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


def published_results(connection) -> dict[str, GradeResult]:
    queue = Queue(RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    results = {}
    for job in queue.get_jobs():
        assert job.func_name == RECORD_RESULT_JOB
        result = decode(GradeResult, job.args[0])
        results[result.submission_id] = result
    return results


def test_worker_grades_queued_submissions_and_publishes_results(
    redis_url, run_grader_worker, no_leftover_containers
):
    connection = Redis.from_url(redis_url)
    enqueue(connection, "101", "thread_lab_commonjs.js")
    enqueue(connection, "102", "never_sends.js")

    run_grader_worker()

    results = published_results(connection)
    assert results["101"].verdict == "passed"
    assert results["102"].verdict == "failed"
    assert results["101"].times.container_started and results["101"].times.finished


def test_a_request_waits_until_a_worker_starts(redis_url, run_grader_worker):
    connection = Redis.from_url(redis_url)
    enqueue(connection, "201", "thread_lab_commonjs.js")
    assert published_results(connection) == {}  # nothing grades it yet: it waits, queued

    run_grader_worker()
    assert published_results(connection)["201"].verdict == "passed"


def test_a_malformed_request_fails_its_job_without_publishing(redis_url, run_grader_worker):
    connection = Redis.from_url(redis_url)
    queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    job = queue.enqueue(GRADE_JOB, {"schema_version": 99}, job_id="submission-bad")

    run_grader_worker()

    job.refresh()
    assert job.is_failed and "schema_version" in job.latest_result().exc_string
    assert published_results(connection) == {}
