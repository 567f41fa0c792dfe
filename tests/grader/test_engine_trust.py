"""A busy grader does not ask its Engine before every job, and still never takes one blind.

A job that ran its sandbox and removed its container shows the Engine answered moments
ago (grader.jobs.engine_answered); after one that did not (an infra_error, a container left
behind), or once the last answer is older than ENGINE_TRUSTED_SECONDS, the worker asks the
Engine again before its next dequeue, and looks for its own leftover containers. Jobs run
through RQ on a real Valkey against a scripted Engine; the worker's own Engine check is
counted, not run (tests/grader/test_worker_stop.py and tests/web/labs/test_engine_unreachable.py
run it against a silent and a cut Engine).
"""

from __future__ import annotations

import pytest
import redis
import requests
from rq import Queue, Retry, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

import contract
from grader import jobs, worker
from grader.worker import GraderWorker

from .test_pipeline import request
from .test_removal_after_publish import ReportingEngine

pytestmark = pytest.mark.valkey


@pytest.fixture
def connection(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def graded(connection, monkeypatch, engine, retries: bool = False) -> Job:
    """A grade job run through RQ against `engine`, ended."""
    engine.results = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    monkeypatch.setattr(jobs, "_docker_client", lambda: engine)
    grading = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    job = grading.enqueue(
        contract.GRADE_JOB,
        contract.encode(request()),
        job_id=contract.grade_job_id("1"),
        retry=Retry(max=2, interval=60) if retries else None,
    )
    SimpleWorker([grading], connection=connection, serializer=JSONSerializer).work(burst=True)
    return Job.fetch(job.id, connection=connection, serializer=JSONSerializer)


def test_a_job_that_ran_its_sandbox_and_removed_it_found_the_engine_answering(
    connection, monkeypatch
):
    assert jobs.engine_answered(graded(connection, monkeypatch, ReportingEngine()))


def test_a_job_whose_engine_failed_did_not(connection, monkeypatch):
    # Retried later: the job raised, it has no return value.
    job = graded(connection, monkeypatch, ReportingEngine(fail_on="create"), retries=True)
    assert not jobs.engine_answered(job)


def test_nor_did_one_whose_engine_failed_on_its_last_try(connection, monkeypatch):
    # Published as infra_error: the job ended well, the Engine did not answer.
    job = graded(connection, monkeypatch, ReportingEngine(fail_on="create"))
    assert job.return_value()["verdict"] == "infra_error"
    assert not jobs.engine_answered(job)


class UnremovableEngine(ReportingEngine):
    def create(self, image, **options):
        container = super().create(image, **options)

        def unreachable(force, v):
            raise requests.exceptions.ConnectionError("the Engine went away")

        container.remove = unreachable
        return container


def test_nor_did_one_that_could_not_remove_its_container(connection, monkeypatch):
    job = graded(connection, monkeypatch, UnremovableEngine())
    assert job.return_value()["verdict"] == "passed"  # published all the same
    assert not jobs.engine_answered(job)


class CountedWorker(GraderWorker):
    """A grader worker whose Engine check and leftover removal are counted."""

    def __init__(self, *args, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = list(answers)
        self.checks = 0
        self.removals = 0

    def _remove_own_containers(self):
        self.removals += 1
        return 0


@pytest.fixture
def grader_worker(connection, monkeypatch):
    def make(answers=("ok",) * 10):
        queue = Queue("engine-trust", connection=connection, serializer=JSONSerializer)
        counted = CountedWorker(
            [queue], connection=connection, serializer=JSONSerializer, answers=answers
        )

        def check_docker(image, runtime):
            counted.checks += 1
            return counted.answers.pop(0)

        monkeypatch.setattr(worker, "check_docker", check_docker)
        monkeypatch.setattr(worker, "ENGINE_CHECK_SECONDS", 0)
        return counted

    return make


def test_between_jobs_that_went_well_the_engine_is_not_asked(
    grader_worker, connection, monkeypatch
):
    counted = grader_worker()
    counted.check_for_suspension(burst=False)
    assert (counted.checks, counted.removals) == (1, 1)  # a fresh worker asks

    went_well = graded(connection, monkeypatch, ReportingEngine())
    for _ in range(3):
        counted.note_how_the_engine_answered(went_well)
        counted.check_for_suspension(burst=False)
    assert (counted.checks, counted.removals) == (1, 1)


def test_after_a_job_that_did_not_the_engine_is_asked_and_leftovers_removed(
    grader_worker, connection, monkeypatch
):
    counted = grader_worker(answers=["ok", "the Docker Engine is unreachable: gone", "ok"])
    counted.check_for_suspension(burst=False)

    failed = graded(connection, monkeypatch, ReportingEngine(fail_on="create"), retries=True)
    counted.note_how_the_engine_answered(failed)
    counted.check_for_suspension(burst=False)
    # Asked until it answered (no job taken meanwhile), then its leftovers looked for.
    assert (counted.checks, counted.removals) == (3, 2)


def test_an_answer_older_than_the_trust_is_asked_again(grader_worker, monkeypatch):
    counted = grader_worker()
    counted.check_for_suspension(burst=False)
    monkeypatch.setattr(worker, "ENGINE_TRUSTED_SECONDS", 0)
    counted.check_for_suspension(burst=False)
    assert counted.checks == 2
