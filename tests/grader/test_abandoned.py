"""The abandoned-job detector against a real Valkey, with RQ's own records of a dead grader.

The kill itself, with real processes and Docker, is tests/web/labs/test_abandoned_jobs.py; here
the states RQ leaves behind are made directly, so the rules are checked one by one: a job
is requeued once whichever grader sees it first, only after two scans, never while its
grader lives, and at most MAX_REQUEUES times.
"""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.job_lifecycle import record_job_failure
from rq.serializers import JSONSerializer

import contract
from grader.abandoned import MAX_REQUEUES, AbandonedJobDetector, mark_alive


@pytest.fixture
def connection(redis_url):
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def queue(connection):
    return Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)


def started_by(queue: Queue, worker_name: str, job_id: str = "submission-7") -> Job:
    """A grading job as RQ records it while `worker_name`'s work-horse runs it."""
    job = queue.enqueue(contract.GRADE_JOB, {"submission_id": "7"}, job_id=job_id)
    queue.connection.lrem(queue.key, 0, job.id)  # dequeued
    with queue.connection.pipeline() as pipeline:
        Execution.create(job, ttl=600, pipeline=pipeline, worker_name=worker_name)
        job.set_status(JobStatus.STARTED, pipeline=pipeline)
        pipeline.execute()
    return job


def test_a_dead_graders_job_is_requeued_once_whichever_grader_sees_it(connection, queue):
    job = started_by(queue, "grader-dead")
    graders = [AbandonedJobDetector(connection, queue.name) for _ in range(2)]

    assert [grader.scan() for grader in graders] == [[], []]  # seen once: not yet
    assert sorted(sum((grader.scan() for grader in graders), [])) == [job.id]

    assert queue.job_ids == [job.id]
    job.refresh()
    assert job.get_status() == JobStatus.QUEUED
    assert job.meta[contract.REGRADING_META] == 1
    assert [grader.scan() for grader in graders] == [[], []]  # nothing left to rescue


def test_a_live_graders_job_is_left_alone(connection, queue):
    mark_alive(connection, "grader-busy")
    job = started_by(queue, "grader-busy")
    detector = AbandonedJobDetector(connection, queue.name)

    assert detector.scan() == [] and detector.scan() == []
    assert job.get_status() == JobStatus.STARTED


def test_a_job_whose_work_horse_was_killed_is_requeued_from_the_failed_registry(connection, queue):
    job = queue.enqueue(contract.GRADE_JOB, {"submission_id": "8"}, job_id="submission-8")
    queue.connection.lrem(queue.key, 0, job.id)
    with connection.pipeline() as pipeline:
        record_job_failure(job, "Work-horse terminated unexpectedly; waitpid returned 9", pipeline)
        pipeline.execute()
    detector = AbandonedJobDetector(connection, queue.name)

    assert detector.scan() == []
    assert detector.scan() == [job.id]
    assert queue.job_ids == [job.id]


def test_a_job_that_keeps_killing_its_grader_is_left_to_fail(connection, queue):
    job = started_by(queue, "grader-dead")
    job.meta[contract.REGRADING_META] = MAX_REQUEUES
    job.save_meta()
    detector = AbandonedJobDetector(connection, queue.name)

    assert detector.scan() == [] and detector.scan() == []
    assert queue.job_ids == []  # the portal's sweep closes it, not counted
