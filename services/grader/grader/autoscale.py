"""Set a Docker Swarm service's grader replica count from its grading queue.

Swarm has no autoscaler, so the platform ships one (`grader autoscale`). A grader runs one
job at a time, so the graders wanted are the jobs waiting plus the jobs running, plus the
submissions the portal holds back for their school's turn (fairness between schools keeps
a school's burst off the queue), kept within the operator's bounds. It scales up at once
(a burst should not wait) and down only after the demand stayed below the current count for
a cool-down: a queue that empties between two submissions must not make graders come and
go. Swarm stops a removed task with SIGTERM and its stop_grace_period, so a grader finishes
its job before it leaves (RQ's warm shutdown).

The same signal is on the web app's `/metrics` for other autoscalers (KEDA, a script):
`portal_queue_jobs + portal_queue_running_jobs + portal_queue_held_submissions`, each for
the graders' queue (`queue="grading"` for Node's; GRADER_QUEUE names a grader's own).

The decision (`desired_replicas`) is a pure function; `Autoscaler` reads the queue from
Valkey and the service from a manager's Engine, and survives either being unreachable.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import docker
import requests
from docker.errors import DockerException
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from contract import GRADING_QUEUE, waiting_key

log = logging.getLogger(__name__)

DEFAULT_COOLDOWN_SECONDS = 120.0
DEFAULT_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class QueueFigures:
    """The grading queue as read at one moment."""

    queued: int  # jobs waiting on the queue
    running: int  # jobs a grader is running (RQ's started registry)
    # Submissions the portal holds back until their school has a place on the queue
    # (portal.labs.fairness publishes them under contract.waiting_key).
    waiting: int = 0

    @property
    def demand(self) -> int:
        """Graders that would be busy: one job at a time each."""
        return self.queued + self.running + self.waiting


@dataclass(frozen=True)
class ScalingBounds:
    """The operator's limits: never fewer than `minimum` graders, never more than `maximum`."""

    minimum: int
    maximum: int
    cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS

    def __post_init__(self) -> None:
        if self.minimum < 0:
            raise ValueError(f"--min must be 0 or more, not {self.minimum}")
        if self.maximum < max(self.minimum, 1):
            raise ValueError(f"--max must be at least --min and 1, not {self.maximum}")
        if self.cooldown_seconds < 0:
            raise ValueError(f"--cooldown must be 0 or more, not {self.cooldown_seconds}")


def desired_replicas(
    figures: QueueFigures, current: int, bounds: ScalingBounds, quiet_seconds: float
) -> int:
    """How many graders to run now.

    `quiet_seconds` is how long the demand has been below `current` without a change
    (the caller's clock, reset whenever it scales or the demand reaches the current
    count). Up at once, down only after the cool-down, always within the bounds.
    """
    wanted = _within(figures.demand, bounds)
    # Out of bounds (scaled by hand, or the bounds changed): back within at once.
    kept = _within(current, bounds)
    if wanted >= kept:
        return wanted
    return wanted if quiet_seconds >= bounds.cooldown_seconds else kept


def _within(replicas: int, bounds: ScalingBounds) -> int:
    return min(max(replicas, bounds.minimum), bounds.maximum)


def read_queue(connection: Redis, queue_name: str = GRADING_QUEUE) -> QueueFigures:
    """The queue's waiting and running jobs, from RQ's keys in Valkey.

    Read only: RQ's cleanup of expired entries (which fails jobs) is left to RQ and the
    graders; a dead grader's entry counted until then asks for one grader more, not less.
    """
    queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
    return QueueFigures(
        queued=queue.count,
        running=queue.started_job_registry.get_job_count(cleanup=False),
        waiting=sum(int(count) for count in connection.hvals(waiting_key(queue_name))),
    )


class Autoscaler:
    """Scale one Swarm service from its grading queue (`queue_name`), one decision per
    `tick()`."""

    def __init__(
        self,
        connection: Redis,
        client: docker.DockerClient,
        service_name: str,
        bounds: ScalingBounds,
        clock=time.monotonic,
        queue_name: str = GRADING_QUEUE,
    ) -> None:
        self.connection = connection
        self.queue_name = queue_name
        self.client = client
        self.service_name = service_name
        self.bounds = bounds
        self.clock = clock
        self._quiet_since = clock()

    def tick(self) -> int | None:
        """Read the queue and the service, scale if needed; the replica count, or None."""
        try:
            figures = read_queue(self.connection, self.queue_name)
        except RedisError as error:
            log.warning("autoscale: Valkey unreachable (%s); trying again", error)
            return None
        try:
            service = self.client.services.get(self.service_name)
            current = service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"]
        except KeyError:
            log.error("autoscale: %s is not a replicated service", self.service_name)
            return None
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("autoscale: service %s unreadable (%s)", self.service_name, error)
            return None
        now = self.clock()
        if figures.demand >= current:
            self._quiet_since = now
        desired = desired_replicas(figures, current, self.bounds, now - self._quiet_since)
        if desired == current:
            return current
        try:
            service.scale(desired)
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("autoscale: scaling %s failed (%s)", self.service_name, error)
            return current
        self._quiet_since = now
        log.info(
            "scaled %s from %d to %d graders (%d queued, %d running, %d held back)",
            self.service_name,
            current,
            desired,
            figures.queued,
            figures.running,
            figures.waiting,
            extra={"event": "graders.scaled"},
        )
        return desired

    def run(self, interval_seconds: float = DEFAULT_INTERVAL_SECONDS) -> None:
        """Tick every `interval_seconds` until the process is stopped."""
        while True:
            self.tick()
            time.sleep(interval_seconds)
