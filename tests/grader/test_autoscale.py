"""The grader autoscaler: its decision rule, then one tick against a real Valkey.

The decision is a pure function of the queue's figures, the current replica count and how
long the demand has been lower: parametrized cases say up at once, down only after the
cool-down, never outside the bounds. The ticks read RQ's real keys in Valkey and scale a
recording stand-in for the Swarm service (the real swarm is tests/deploy/test_swarm.py).
"""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

import contract
from grader.autoscale import Autoscaler, QueueFigures, ScalingBounds, desired_replicas
from grader.cli import main

BOUNDS = ScalingBounds(minimum=1, maximum=4, cooldown_seconds=60)


@pytest.mark.parametrize(
    ("queued", "running", "current", "quiet", "expected"),
    [
        (5, 1, 1, 0, 4),  # a burst: up at once, capped at the maximum
        (1, 1, 1, 0, 2),  # one waiting beside one running: one grader more
        (0, 2, 2, 0, 2),  # every grader busy, none waiting: as is
        (0, 0, 3, 59, 3),  # idle, but not for the cool-down yet: as is
        (0, 0, 3, 60, 1),  # idle for the cool-down: down to the minimum
        (0, 2, 4, 60, 2),  # two still running after the cool-down: keep those two
        (0, 0, 1, 600, 1),  # never below the minimum
        (0, 0, 0, 0, 1),  # scaled to 0 by hand: back to the minimum at once
        (0, 0, 9, 0, 4),  # above the maximum by hand: back within at once
    ],
)
def test_desired_replicas(queued, running, current, quiet, expected):
    figures = QueueFigures(queued=queued, running=running)
    assert desired_replicas(figures, current, BOUNDS, quiet_seconds=quiet) == expected


def test_a_minimum_of_zero_lets_an_idle_queue_stop_every_grader():
    bounds = ScalingBounds(minimum=0, maximum=2, cooldown_seconds=0)
    assert desired_replicas(QueueFigures(0, 0), 2, bounds, quiet_seconds=0) == 0
    assert desired_replicas(QueueFigures(1, 0), 0, bounds, quiet_seconds=0) == 1


@pytest.mark.parametrize(
    ("minimum", "maximum", "cooldown", "message"),
    [
        (-1, 2, 0, "--min must be 0 or more"),
        (3, 2, 0, "--max must be at least --min"),
        (0, 0, 0, "--max must be at least --min and 1"),
        (1, 2, -5, "--cooldown must be 0 or more"),
    ],
)
def test_bad_bounds_are_refused_in_one_line(minimum, maximum, cooldown, message):
    with pytest.raises(ValueError, match=message):
        ScalingBounds(minimum, maximum, cooldown)


def test_the_cli_refuses_bad_bounds_with_exit_2(capsys):
    assert main(["autoscale", "--service", "cp_grader", "--min", "3", "--max", "2"]) == 2
    assert "--max must be at least --min" in capsys.readouterr().err


class RecordingService:
    """A Swarm service as the Docker SDK shows it: its spec's replicas, and scale()."""

    def __init__(self, replicas: int) -> None:
        self.attrs = {"Spec": {"Mode": {"Replicated": {"Replicas": replicas}}}}
        self.scaled: list[int] = []

    def scale(self, replicas: int) -> bool:
        self.scaled.append(replicas)
        self.attrs["Spec"]["Mode"]["Replicated"]["Replicas"] = replicas
        return True


class RecordingClient:
    def __init__(self, service: RecordingService) -> None:
        self.services = self
        self.service = service

    def get(self, name: str) -> RecordingService:
        assert name == "cp_grader"
        return self.service


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def queue(redis_url):
    connection = Redis.from_url(redis_url)
    yield Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    connection.close()


def start(queue: Queue, job: Job) -> Execution:
    """Take a queued job as a grader's work-horse would (RQ's own records)."""
    queue.connection.lrem(queue.key, 0, job.id)
    with queue.connection.pipeline() as pipeline:
        execution = Execution.create(job, ttl=600, pipeline=pipeline, worker_name="grader-1")
        job.set_status(JobStatus.STARTED, pipeline=pipeline)
        pipeline.execute()
    return execution


def finish(queue: Queue, job: Job, execution: Execution) -> None:
    with queue.connection.pipeline() as pipeline:
        execution.delete(job, pipeline)
        pipeline.execute()


def test_ticks_scale_up_with_the_queue_and_down_after_the_cooldown(queue):
    service = RecordingService(replicas=1)
    clock = Clock()
    scaler = Autoscaler(queue.connection, RecordingClient(service), "cp_grader", BOUNDS, clock)
    jobs = [queue.enqueue(contract.GRADE_JOB, {"n": n}, job_id=f"s-{n}") for n in range(3)]
    executions = [start(queue, jobs[0])]

    assert scaler.tick() == 3  # 2 queued + 1 running
    executions += [start(queue, job) for job in jobs[1:]]
    clock.now += 30
    assert scaler.tick() == 3  # all three running: no change
    finish(queue, jobs[0], executions[0])
    finish(queue, jobs[1], executions[1])
    clock.now += 59
    assert scaler.tick() == 3  # one running, but lower for less than the cool-down
    clock.now += 1
    assert scaler.tick() == 1
    finish(queue, jobs[2], executions[2])
    clock.now += 600
    assert scaler.tick() == 1  # idle: still the minimum
    assert service.scaled == [3, 1]


def test_an_unreachable_valkey_scales_nothing_and_is_tried_again():
    service = RecordingService(replicas=2)
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    scaler = Autoscaler(unreachable, RecordingClient(service), "cp_grader", BOUNDS, Clock())

    assert scaler.tick() is None
    assert service.scaled == []
