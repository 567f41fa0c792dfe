"""Run an RQ worker on the grading queue.

Jobs run in a forked work-horse (RQ's default), so a crash while grading one submission
never takes the worker down; the grader's modules are imported before the fork, so each
job starts warm.

Faults it survives: a Valkey restart (the worker works again with backoff, its scheduler
process is started again, a heartbeat that fails mid-job is skipped, not fatal), and a dead
peer (its watch, grader.watch, requeues the grading jobs a killed grader abandoned and
removes the sandbox containers it left).
"""

from __future__ import annotations

import logging
import os
import time

import docker
import requests
from docker.errors import DockerException
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.serializers import JSONSerializer

import grader.jobs  # noqa: F401  (imported before forking: every job starts warm)
from contract import GRADING_QUEUE
from grader.abandoned import JOB_MONITORING_SECONDS, platform_instance
from grader.janitor import remove_containers_of
from grader.sandbox import INSTANCE_ENV
from grader.watch import GraderWatch
from workerkit.resilient import wait_for_valkey, work_through_outages

log = logging.getLogger(__name__)

# An idle worker blocks on the queue for WORKER_TTL_SECONDS - 15 s between its own checks
# (RQ's default 420 s would leave a dead scheduler dead for seven minutes).
WORKER_TTL_SECONDS = 60
# How often an idle or busy worker checks that its scheduler process (or another
# worker's) still runs.
SCHEDULER_CHECK_SECONDS = 30


class GraderWorker(Worker):
    """RQ's forking worker, made to outlive a Valkey restart."""

    def maintain_heartbeats(self, job, execution) -> None:
        # Called while the horse runs: Valkey gone for a moment must not end the worker's
        # loop and leave the horse grading unwatched. The next beat tries again.
        try:
            super().maintain_heartbeats(job, execution)
        except RedisError as error:
            log.warning("heartbeat of job %s skipped: %s", job.id, error)

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage) -> None:
        # The horse died (SIGKILL, the OOM killer) and could not remove its container: this
        # worker does it at once (RQ then fails or retries the job, grader.abandoned
        # requeues a failed one).
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        try:
            client = docker.from_env()
            try:
                removed = remove_containers_of(client, self.name, os.environ[INSTANCE_ENV])
            finally:
                client.close()
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("the dead work-horse's container stays for the janitor: %s", error)
            return
        log.warning("removed %d container(s) of the dead work-horse of job %s", removed, job.id)

    @property
    def should_run_maintenance_tasks(self) -> bool:
        # RQ starts its scheduler process again (it moves retried jobs back onto the queue)
        # in its maintenance, every ten minutes; a Valkey restart kills it, so look sooner.
        if super().should_run_maintenance_tasks:
            return True
        now = time.monotonic()
        if self.scheduler is None or now < self._next_scheduler_check:
            return False
        self._next_scheduler_check = now + SCHEDULER_CHECK_SECONDS
        process = self.scheduler._process
        return process is None or not process.is_alive()

    _next_scheduler_check = 0.0

    def stop_scheduler(self) -> None:
        # A scheduler that died with Valkey keeps its lock until the lock expires, and the
        # next one started after a restart of the loop could not take it: give it back.
        super().stop_scheduler()
        try:
            self.scheduler.release_locks()
        except RedisError as error:
            log.warning("scheduler lock not released (it expires by itself): %s", error)


def run_worker(redis_url: str, burst: bool = False, name: str | None = None) -> bool:
    """Work the grading queue until stopped (or until it is empty, with `burst`)."""
    connection = Redis.from_url(redis_url)
    wait_for_valkey(connection)
    instance = platform_instance(connection)
    os.environ[INSTANCE_ENV] = instance  # the horses label their containers with it
    queue = Queue(GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    # Job ids only in RQ's lines: a job enqueued without a description is described by its
    # payload, which holds the student's code.
    worker = GraderWorker(
        [queue],
        connection=connection,
        serializer=JSONSerializer,
        name=name,
        log_job_description=False,
        worker_ttl=WORKER_TTL_SECONDS,
        job_monitoring_interval=JOB_MONITORING_SECONDS,
    )
    watch = GraderWatch(redis_url, worker.name, GRADING_QUEUE, instance)
    watch.tick()  # alive before the first job is taken
    watch.start()
    try:
        # The scheduler moves retried jobs (infra errors) back onto the queue after their delay.
        return work_through_outages(worker, burst=burst, with_scheduler=True)
    finally:
        watch.stop()
