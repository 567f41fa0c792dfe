"""Find grading jobs whose grader died mid-job, and put them back on the queue.

A grader killed with SIGKILL (with its work-horse) leaves its job "started" in RQ's
registry; RQ notices only when the job's registry entry expires and its maintenance runs
(about seven minutes measured, 423 s). A work-horse killed alone is moved by its worker to
the failed registry ("Work-horse terminated unexpectedly") once its retries are used up.
Neither is the student's fault, so neither may cost an attempt or leave the page spinning.

Where it runs, and why: in every grader worker, on a short period (`grader.watch`), not in
the portal's sweep. A grader already holds the queue's connection and knows RQ's
executions; any live grader rescues a dead peer's job within seconds, and a single grader
restarted by its supervisor (compose, swarm, `make run`) rescues its predecessor's. The
portal's sweep stays the backstop (a job lost with Valkey itself), on its minute period.

How death is told: each grader refreshes a short-lived key (`grader:alive:<worker name>`,
ALIVE_TTL_SECONDS) every few seconds from its main process. A started job is abandoned when
its execution's worker has no such key, or when its execution's heartbeat (RQ refreshes it
every JOB_MONITORING_SECONDS while the work-horse runs) is older than EXECUTION_STALE_SECONDS
(the worker lives but lost the job, e.g. across a Valkey restart). It must look abandoned on
two scans in a row, so a live grader that was briefly cut off from Valkey is not mistaken for
a dead one. Each abandonment is requeued once (a lock per execution, or per failure), at the
front of the queue, and marked in the job's meta so the student's page says it is retried;
after MAX_REQUEUES abandonments of one job (code that keeps killing its grader) it is left
to fail and the sweep closes it, not counted against the student.

Exactly once: a re-grade publishes its result under the same job id, and the portal records
a submission's first result only (portal.labs.results), rewards by unique keys.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from contract import GRADE_JOB, REGRADING_META

log = logging.getLogger(__name__)

# The grader's own liveness key: refreshed every HEARTBEAT_SECONDS, gone ALIVE_TTL_SECONDS
# after its process died.
HEARTBEAT_SECONDS = 3
ALIVE_TTL_SECONDS = 10
# RQ's worker refreshes a running execution's heartbeat this often (RQ's default is 30 s).
JOB_MONITORING_SECONDS = 5
EXECUTION_STALE_SECONDS = 30
MAX_REQUEUES = 3
# How long the "requeued once" lock of one abandonment is kept.
LOCK_SECONDS = 3600
# Names this platform's containers (grader.sandbox.INSTANCE_LABEL).
INSTANCE_KEY = "grader:instance"
# What RQ writes on a job whose work-horse died (worker alive), or that its cleanup found.
ABANDONED_MARKS = ("Work-horse terminated unexpectedly", "AbandonedJobError")


def platform_instance(connection: Redis) -> str:
    """This platform's id, made by the first grader that asks and kept in Valkey."""
    connection.set(INSTANCE_KEY, uuid.uuid4().hex, nx=True)
    return connection.get(INSTANCE_KEY).decode()


def alive_key(worker_name: str) -> str:
    """The key that says the grader worker `worker_name` is alive."""
    return f"grader:alive:{worker_name}"


def mark_alive(connection: Redis, worker_name: str) -> None:
    """Say, for ALIVE_TTL_SECONDS, that `worker_name` is alive."""
    connection.set(alive_key(worker_name), "1", ex=ALIVE_TTL_SECONDS)


def is_alive(connection: Redis, worker_name: str) -> bool:
    """Whether the grader worker `worker_name` refreshed its liveness key lately."""
    return bool(worker_name) and bool(connection.exists(alive_key(worker_name)))


@dataclass
class AbandonedJobDetector:
    """Requeue the abandoned grading jobs of one queue; call `scan()` periodically."""

    connection: Redis
    queue_name: str
    # Executions (or failed jobs) seen abandoned on the previous scan: acted on when seen again.
    suspects: set[str] = field(default_factory=set)
    # Failed-registry entries (job id, score) already judged not abandoned: the registry
    # keeps failures for long, and a scan every few seconds must not fetch them all again.
    judged: set[tuple[bytes, float]] = field(default_factory=set)

    def scan(self) -> list[str]:
        """Requeue what looked abandoned on this scan and the previous one; their job ids."""
        queue = Queue(self.queue_name, connection=self.connection, serializer=JSONSerializer)
        found = self._dead_executions(queue) | self._failed_by_death(queue)
        confirmed, self.suspects = found & self.suspects, found
        requeued = []
        for key in sorted(confirmed):
            job_id = self._requeue(queue, key)
            if job_id is not None:
                requeued.append(job_id)
        return requeued

    def _dead_executions(self, queue: Queue) -> set[str]:
        registry = StartedJobRegistry(queue=queue)
        now = time.time()
        dead = set()
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            execution = Execution.from_composite_key(f"{job_id}:{execution_id}", self.connection)
            try:
                execution.refresh()
            except ValueError:  # its hash expired: nobody has refreshed it for long
                dead.add(f"started:{execution.composite_key}")
                continue
            stale = now - execution.last_heartbeat.timestamp() > EXECUTION_STALE_SECONDS
            if stale or not is_alive(self.connection, execution.worker_name):
                dead.add(f"started:{execution.composite_key}")
        return dead

    def _failed_by_death(self, queue: Queue) -> set[str]:
        registry = FailedJobRegistry(queue=queue)
        entries = set(self.connection.zrange(registry.key, 0, -1, withscores=True))
        self.judged &= entries  # forget what left the registry
        dead = set()
        for entry in entries - self.judged:
            job_id = entry[0].decode()
            job = _fetch(queue, job_id)
            requeues = int(job.meta.get(REGRADING_META, 0)) if job is not None else 0
            result = job.latest_result() if job is not None else None
            failure = (result.exc_string if result is not None else None) or ""
            if (
                job is not None
                and job.func_name == GRADE_JOB
                and requeues < MAX_REQUEUES
                and any(mark in failure for mark in ABANDONED_MARKS)
            ):
                dead.add(f"failed:{job_id}:{requeues}")
            else:
                self.judged.add(entry)
        return dead

    def _requeue(self, queue: Queue, key: str) -> str | None:
        kind, rest = key.split(":", 1)
        job_id = rest.split(":", 1)[0]
        job = _fetch(queue, job_id)
        if job is None or job.func_name != GRADE_JOB:
            return None
        requeues = int(job.meta.get(REGRADING_META, 0))
        if requeues >= MAX_REQUEUES:
            log.warning("job %s abandoned %d times: left to fail", job_id, requeues)
            return None
        # One requeue per abandonment, whichever live grader saw it first.
        if not self.connection.set(f"grader:abandoned:{key}", "1", nx=True, ex=LOCK_SECONDS):
            return None
        if kind == "started":
            if job.get_status() != JobStatus.STARTED:
                return None  # finished or failed meanwhile: not abandoned after all
            with self.connection.pipeline() as pipeline:
                Execution.from_composite_key(rest, self.connection).delete(job, pipeline)
                pipeline.execute()
            job.meta[REGRADING_META] = requeues + 1
            job.save_meta()
            queue.enqueue_job(job, at_front=True)
        else:
            job.meta[REGRADING_META] = requeues + 1
            job.save_meta()
            FailedJobRegistry(queue=queue).requeue(job, at_front=True)
        log.warning(
            "grading job %s abandoned (its grader died or lost it): requeued",
            job_id,
            extra={"event": "grading.requeued_abandoned"},
        )
        return job_id


def _fetch(queue: Queue, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=queue.connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return None
