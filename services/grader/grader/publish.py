"""Publish a GradeResult or a RunResult on the results queue, for the portal's web-worker."""

from __future__ import annotations

from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from contract import (
    RECORD_RESULT_JOB,
    RECORD_RUN_JOB,
    RESULTS_QUEUE,
    GradeResult,
    RunResult,
    encode_grade_result,
    encode_run_result,
    result_job_id,
    run_result_job_id,
)

RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600
# The web-worker records a result in the database: when the database is away (a restart, a
# failover), the record job fails and RQ tries it again after each of these pauses, about
# nine minutes in all, so a short outage costs a delay, never the result. Recording is
# idempotent, so a try that did commit before the connection broke is not counted twice.
# (The web-worker runs RQ's scheduler, which puts a job due for a retry back on the queue.)
RECORD_RETRY_INTERVALS = [5, 15, 30, 60, 120, 300]


def record_retry() -> Retry:
    """The retries of a record job (a result's or a run's)."""
    return Retry(max=len(RECORD_RETRY_INTERVALS), interval=RECORD_RETRY_INTERVALS)


def publish_result(connection: Redis, result: GradeResult, version: int) -> None:
    """Enqueue the portal's `record_result` job with the result encoded in `version`.

    `version` is the GradeResult version the requesting portal reads
    (`contract.result_version_for`): during a rolling deploy an older portal must never
    receive fields or a schema_version it refuses. The job id is derived from the
    submission, and recording is idempotent on the portal's side, so a result published
    twice (a retried grade) is recorded once.
    """
    queue = Queue(RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    queue.enqueue(
        RECORD_RESULT_JOB,
        encode_grade_result(result, version),
        job_id=result_job_id(result.submission_id),
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        retry=record_retry(),
    )


def publish_run_result(connection: Redis, result: RunResult, version: int) -> None:
    """Enqueue the portal's `record_run` job with the run result encoded in `version`.

    `version` is the RunResult version the requesting portal reads, as for a grade. Same
    queue as the grades, job id derived from the run: recorded once on the portal.
    """
    queue = Queue(RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    queue.enqueue(
        RECORD_RUN_JOB,
        encode_run_result(result, version),
        job_id=run_result_job_id(result.run_id),
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
        retry=record_retry(),
    )
