"""Run an RQ worker on the grading queue.

Jobs run in a forked work-horse (RQ's default), so a crash while grading one submission
never takes the worker down; the grader's modules are imported before the fork, so each
job starts warm.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

import grader.jobs  # noqa: F401  (imported before forking: every job starts warm)
from contract import GRADING_QUEUE


def run_worker(redis_url: str, burst: bool = False, name: str | None = None) -> bool:
    """Work the grading queue until stopped (or until it is empty, with `burst`)."""
    connection = Redis.from_url(redis_url)
    queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    # Job ids only in RQ's lines: a job enqueued without a description is described by its
    # payload, which holds the student's code.
    worker = Worker(
        [queue],
        connection=connection,
        serializer=JSONSerializer,
        name=name,
        log_job_description=False,
    )
    # The scheduler moves retried jobs (infra errors) back onto the queue after their delay.
    return worker.work(burst=burst, with_scheduler=True)
