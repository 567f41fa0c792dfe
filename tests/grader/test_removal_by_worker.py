"""A busy grader worker's last job's sandbox containers are removed while its next job runs.

The horse publishes the result and hands its finished containers back in the job's return
value (grader.jobs.hand_over_removals); the worker hands them on to its next horse, which
removes them while it grades, or removes them itself before it waits on an empty queue, or
as it stops. A job run anywhere else (no worker's horse) still removes its own. A removal
that fails makes the worker ask its Engine and look for its leftovers before the next
dequeue. The queue side is a real Valkey, run through RQ; the Engine is scripted. The last
test runs a real `grader worker` on the real Engine and checks from the Engine's events
that every container was destroyed after its result was published, and none is left.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import requests
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

import contract
from grader import jobs, worker
from grader.sandbox import SANDBOX_LABEL
from grader.worker import GraderWorker

from .test_pipeline import request
from .test_removal_after_publish import ReportingEngine

pytestmark = pytest.mark.valkey
GRADER = str(Path(sys.executable).parent / "grader")
SOLUTION = Path(__file__).resolve().parents[1] / "integration/solutions/thread_lab_commonjs.js"


@pytest.fixture
def connection(redis_url):
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def graded(connection, monkeypatch, engine, handed_over: bool) -> Job:
    """A grade job run through RQ against `engine`, in a worker's horse or not, ended."""
    engine.results = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    monkeypatch.setattr(jobs, "_docker_client", lambda: engine)
    monkeypatch.setattr(jobs, "_removals_handed_over", handed_over)
    grading = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    job = grading.enqueue(
        contract.GRADE_JOB, contract.encode(request()), job_id=contract.grade_job_id("1")
    )
    SimpleWorker([grading], connection=connection, serializer=JSONSerializer).work(burst=True)
    return Job.fetch(job.id, connection=connection, serializer=JSONSerializer)


def test_a_horse_publishes_and_hands_its_container_to_its_worker(connection, monkeypatch):
    engine = ReportingEngine()
    job = graded(connection, monkeypatch, engine, handed_over=True)

    [container] = engine.created
    assert not container.removed  # the worker's to remove
    assert job.return_value()["verdict"] == "passed"
    assert jobs.job_ending(job) == jobs.JobEnding(True, (container.id,))


def test_a_job_run_elsewhere_removes_its_own(connection, monkeypatch):
    engine = ReportingEngine()
    job = graded(connection, monkeypatch, engine, handed_over=False)

    [container] = engine.created
    assert container.removed and engine.published_before_removal
    assert jobs.job_ending(job) == jobs.JobEnding(True, ())


class FakeClient:
    """The worker's Engine client: records the containers it removes, or cannot reach."""

    def __init__(self, removed: list[str], reachable: bool = True) -> None:
        self.api = self
        self.removed, self.reachable = removed, reachable

    def remove_container(self, container_id, v, force):
        assert v and force
        if not self.reachable:
            raise requests.exceptions.ConnectionError("the Engine went away")
        self.removed.append(container_id)

    def close(self):
        pass


class CountedWorker(GraderWorker):
    """A grader worker whose Engine check and leftover listing are counted."""

    checks = 0
    listings = 0

    def _remove_own_containers(self):
        self.listings += 1
        return 0


@pytest.fixture
def grader_worker(connection, monkeypatch):
    """A worker (not started) on the grading queue, its Engine answering, its removals
    recorded in `.removed`; `reachable=False` makes them fail."""

    def make(reachable: bool = True) -> CountedWorker:
        queue = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
        made = CountedWorker([queue], connection=connection, serializer=JSONSerializer)
        made.removed = []

        def check_docker(image, runtime):
            made.checks += 1
            return "ok"

        monkeypatch.setattr(worker, "check_docker", check_docker)
        client = FakeClient(made.removed, reachable)
        monkeypatch.setattr(worker, "engine_client", lambda **_: client)
        made.check_for_suspension(burst=False)  # a fresh worker asks, and lists its own
        assert (made.checks, made.listings) == (1, 1)
        return made

    return make


def handing_over(connection, monkeypatch) -> tuple[Job, str]:
    engine = ReportingEngine()
    job = graded(connection, monkeypatch, engine, handed_over=True)
    return job, engine.created[0].id


def test_an_idle_worker_removes_them_before_it_waits_for_a_job(
    grader_worker, connection, monkeypatch
):
    counted = grader_worker()
    job, container_id = handing_over(connection, monkeypatch)

    counted.note_how_the_engine_answered(job)
    counted.check_for_suspension(burst=False)  # nothing waits on its queue

    assert counted.removed == [container_id]
    assert (counted.checks, counted.listings) == (1, 1)  # the Engine answered: not asked


def test_a_busy_worker_hands_them_on_to_the_horse_it_forks_next(
    grader_worker, connection, monkeypatch
):
    counted = grader_worker()
    job, container_id = handing_over(connection, monkeypatch)
    counted.note_how_the_engine_answered(job)
    Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer).enqueue(
        contract.GRADE_JOB, contract.encode(request()), job_id="next"
    )

    counted.check_for_suspension(burst=False)
    assert counted.removed == []  # a job waits: its horse removes them while it grades
    horse_got = []
    monkeypatch.setattr(jobs, "hand_over_removals", horse_got.append)
    monkeypatch.setattr(worker, "hand_over_removals", horse_got.append)
    monkeypatch.setattr(worker.Worker, "main_work_horse", lambda self, job, queue: None)
    counted.main_work_horse(None, None)  # the horse's side of the fork
    monkeypatch.setattr(worker.Worker, "fork_work_horse", lambda self, job, queue: None)
    counted.fork_work_horse(None, None)  # the worker's side of the fork
    assert horse_got == [(container_id,)]
    assert counted.removed == [] and counted._containers_left == ()  # the horse's now


class RemovingEngine(ReportingEngine):
    """An Engine that also removes containers by id (the ones a worker hands on)."""

    def __init__(self, reachable: bool = True) -> None:
        super().__init__()
        self.api = FakeClient([], reachable)


def test_a_horse_removes_those_its_worker_handed_on_while_it_grades(connection, monkeypatch):
    engine = RemovingEngine()
    monkeypatch.setattr(jobs, "_inherited", ("last-job-container",))
    job = graded(connection, monkeypatch, engine, handed_over=True)

    assert engine.api.removed == ["last-job-container"]
    [container] = engine.created
    assert jobs.job_ending(job) == jobs.JobEnding(True, (container.id,))


def test_a_horse_that_cannot_remove_them_makes_its_worker_look_for_its_leftovers(
    grader_worker, connection, monkeypatch
):
    counted = grader_worker()
    engine = RemovingEngine(reachable=False)
    monkeypatch.setattr(jobs, "_inherited", ("last-job-container",))
    job = graded(connection, monkeypatch, engine, handed_over=True)
    assert job.return_value()["verdict"] == "passed"  # the student's result is not touched

    counted.note_how_the_engine_answered(job)
    counted.check_for_suspension(burst=False)

    assert (counted.checks, counted.listings) == (2, 2)


def test_a_stopping_worker_removes_them(grader_worker, connection, monkeypatch):
    counted = grader_worker()
    job, container_id = handing_over(connection, monkeypatch)
    counted.note_how_the_engine_answered(job)

    counted.teardown()

    assert counted.removed == [container_id]


def test_a_removal_that_fails_makes_the_worker_ask_and_look_before_its_next_job(
    grader_worker, connection, monkeypatch
):
    counted = grader_worker(reachable=False)
    job, _ = handing_over(connection, monkeypatch)
    counted.note_how_the_engine_answered(job)

    counted.check_for_suspension(burst=False)

    assert (counted.checks, counted.listings) == (2, 2)


def test_a_worker_keeps_one_engine_client_for_its_removals_until_one_fails(
    grader_worker, monkeypatch
):
    # A client a job cost about 2 ms of the worker's CPU, taken from the sandboxes.
    counted = grader_worker()
    made: list[FakeClient] = []

    def engine_client(**_):
        made.append(FakeClient(counted.removed))
        return made[-1]

    monkeypatch.setattr(worker, "engine_client", engine_client)
    counted._engine_client = None  # the fixture's first check made one
    for container_id in ("a", "b"):
        counted._containers_left = (container_id,)
        counted._remove_containers_left()
    assert counted.removed == ["a", "b"] and len(made) == 1

    made[0].reachable = False  # the Engine went away: the next client is made anew
    counted._containers_left = ("c",)
    counted._remove_containers_left()
    counted._containers_left = ("d",)
    counted._remove_containers_left()
    assert counted.removed == ["a", "b", "d"] and len(made) == 2


@pytest.mark.docker
def test_a_real_worker_removes_each_container_after_publishing_and_leaves_none(
    redis_url, sandbox_image, docker_client, no_leftover_containers
):
    connection = redis.Redis.from_url(redis_url)
    queue = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    ids = ["handed-1", "handed-2", "handed-3"]
    for submission_id in ids:
        graded_request = replace(request(code=SOLUTION.read_text()), submission_id=submission_id)
        queue.enqueue(
            contract.GRADE_JOB,
            contract.encode(graded_request),
            job_id=contract.grade_job_id(submission_id),
        )
    since = time.time() - 1
    subprocess.run(
        [GRADER, "worker", "--burst", "--redis-url", redis_url],
        env={"PATH": "/usr/bin:/bin", "SANDBOX_IMAGE": sandbox_image},
        check=True,
        timeout=180,
    )

    events = docker_client.events(
        since=f"{since:.6f}",
        until=f"{time.time():.6f}",
        filters={"type": "container", "event": "destroy", "label": SANDBOX_LABEL},
        decode=True,
    )
    destroyed = {event["id"]: event["timeNano"] / 1e9 for event in events}
    for submission_id in ids:
        job = Job.fetch(
            contract.grade_job_id(submission_id), connection=connection, serializer=JSONSerializer
        )
        published = Job.fetch(
            contract.result_job_id(submission_id), connection=connection, serializer=JSONSerializer
        )
        assert published.args[0]["verdict"] == "passed"
        [container_id] = jobs.job_ending(job).containers_left  # handed to the worker
        assert container_id in destroyed, submission_id
        published_at = published.enqueued_at.timestamp()
        assert destroyed[container_id] >= published_at
    connection.close()
