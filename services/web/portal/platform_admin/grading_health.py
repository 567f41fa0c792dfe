"""The grading system's health, read from the queue server: queues, workers, failed jobs.

Everything here is read from Redis/Valkey with RQ's own registries; nothing reads a
job's payload for display (payloads hold students' code), only its id, function name,
times and the last line of its error. When the queue server cannot be reached, the
functions raise QueueServerUnreachable so the page can say so instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result
from rq.serializers import JSONSerializer

from portal.models import utc_now
from portal.queue import platform_queue_names

FAILED_JOBS_SHOWN = 50
ERROR_LINE_MAX_LENGTH = 200


class QueueServerUnreachable(Exception):
    """Redis/Valkey did not answer; the health page says so with a 503."""


class UnknownFailedJob(Exception):
    """No failed job with this id on this queue (already requeued or deleted)."""


@dataclass(frozen=True)
class QueueHealth:
    """One queue at a glance."""

    name: str
    waiting: int
    oldest_waiting_age: timedelta | None  # None when nothing waits
    started: int
    failed: int


@dataclass(frozen=True)
class WorkerHealth:
    """One registered worker."""

    name: str
    state: str
    queues: list[str]
    current_job_id: str | None
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class FailedJob:
    """A failed job, without its payload."""

    queue: str
    id: str
    function: str
    failed_at: datetime | None
    error_line: str


@dataclass(frozen=True)
class GradingHealth:
    """What the grading health page shows."""

    queues: list[QueueHealth]
    workers: list[WorkerHealth]
    failed_jobs: list[FailedJob]


def read_grading_health(connection: redis.Redis) -> GradingHealth:
    """Every watched queue, every worker and the latest failed jobs."""
    try:
        queues = [_queue(connection, name) for name in platform_queue_names()]
        health = GradingHealth(
            queues=[_queue_health(queue) for queue in queues],
            workers=_workers(connection),
            failed_jobs=[job for queue in queues for job in _failed_jobs(queue)],
        )
    except redis.RedisError as error:
        raise QueueServerUnreachable(str(error)) from error
    return health


def requeue_failed_job(connection: redis.Redis, queue_name: str, job_id: str) -> None:
    """Put a failed job back at the end of its queue."""
    registry = _failed_registry(connection, queue_name, job_id)
    try:
        registry.requeue(job_id)
    except redis.RedisError as error:
        raise QueueServerUnreachable(str(error)) from error


def delete_failed_job(connection: redis.Redis, queue_name: str, job_id: str) -> None:
    """Forget a failed job: its registry entry, its hash and its results."""
    registry = _failed_registry(connection, queue_name, job_id)
    try:
        registry.remove(job_id, delete_job=True)
    except NoSuchJobError:  # the hash expired already: the registry entry is gone too
        pass
    except redis.RedisError as error:
        raise QueueServerUnreachable(str(error)) from error


def _failed_registry(connection: redis.Redis, queue_name: str, job_id: str) -> FailedJobRegistry:
    if queue_name not in platform_queue_names():
        raise UnknownFailedJob(job_id)
    try:
        registry = _queue(connection, queue_name).failed_job_registry
        if job_id not in registry:
            raise UnknownFailedJob(job_id)
    except redis.RedisError as error:
        raise QueueServerUnreachable(str(error)) from error
    return registry


def _queue(connection: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def _queue_health(queue: Queue) -> QueueHealth:
    oldest_ids = queue.get_job_ids(0, 1)
    oldest = queue.fetch_job(oldest_ids[0]) if oldest_ids else None
    enqueued_at = _aware(oldest.enqueued_at) if oldest is not None else None
    return QueueHealth(
        name=queue.name,
        waiting=queue.count,
        oldest_waiting_age=utc_now() - enqueued_at if enqueued_at else None,
        started=queue.started_job_registry.count,
        failed=queue.failed_job_registry.count,
    )


def _workers(connection: redis.Redis) -> list[WorkerHealth]:
    workers = Worker.all(connection=connection, serializer=JSONSerializer)
    return sorted(
        (
            WorkerHealth(
                name=worker.name,
                state=str(worker.get_state()),
                queues=worker.queue_names(),
                current_job_id=worker.get_current_job_id(),
                last_heartbeat=_aware(worker.last_heartbeat),
            )
            for worker in workers
        ),
        key=lambda worker: worker.name,
    )


def _failed_jobs(queue: Queue) -> list[FailedJob]:
    registry = queue.failed_job_registry
    ids = registry.get_job_ids(0, FAILED_JOBS_SHOWN - 1, desc=True)
    jobs = Job.fetch_many(ids, connection=queue.connection, serializer=JSONSerializer)
    found = []
    for job_id, job in zip(ids, jobs, strict=True):
        if job is None:  # the hash expired before its registry entry: still listed, to delete
            found.append(FailedJob(queue.name, job_id, "(expired)", None, ""))
            continue
        found.append(
            FailedJob(
                queue=queue.name,
                id=job.id,
                function=job.func_name or "",
                failed_at=_aware(job.ended_at),
                error_line=_last_error_line(job),
            )
        )
    return found


def _last_error_line(job: Job) -> str:
    result = job.latest_result()
    text = result.exc_string if result is not None and result.type == Result.Type.FAILED else ""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = lines[-1] if lines else "(no error recorded)"
    if len(line) > ERROR_LINE_MAX_LENGTH:
        line = line[: ERROR_LINE_MAX_LENGTH - 1] + "…"
    return line


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def describe_age(age: timedelta) -> str:
    """A waiting time as people say it: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
