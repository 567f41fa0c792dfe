"""Run an RQ worker on its grading queue (GRADER_QUEUE, by default `grading`).

Jobs run in a forked work-horse (RQ's default), so a crash while grading one submission
never takes the worker down; the grader's modules are imported before the fork, so each
job starts warm.

Faults it survives: a Valkey restart (the worker works again with backoff, its scheduler
process is started again, a heartbeat that fails mid-job is skipped, not fatal), a dead
peer (its watch, grader.watch, requeues the grading jobs a killed grader abandoned and
removes the sandbox containers it left), and its Docker Engine unreachable (it takes no job
until the Engine answers; the job in hand ends in infra_error and is retried).

Between two jobs a busy worker asks the Engine nothing: a job that ran its sandbox shows
the Engine answered moments ago. It asks again (and looks for containers of its own left
behind) after a job that did not end so, and when the last answer is older than
ENGINE_TRUSTED_SECONDS (an idle worker, every dequeue timeout).

Nor does a busy worker wait for `docker rm`: its horse publishes the result and hands the
finished containers back (grader.jobs.hand_over_removals), and the worker hands them on to
its next horse, which removes them while it grades (a removal that fails there makes the
worker look for its leftovers before its next job; a horse that dies, as the worker removes
its containers, removes these too). An idle worker (nothing waiting on its queue) removes
them itself before it waits for a job, and a stopping one before it stops; one that dies
first leaves them to the janitor, as a dead horse does. (A job it saw waiting
that another worker took leaves them until its own next job, or until the janitor finds
them past their deadline: an exited container, a minute at most.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

import docker
import requests
from docker.errors import DockerException, NotFound
from redis import DriverInfo, Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.serializers import JSONSerializer
from rq.worker import WorkerStatus

from grader.abandoned import JOB_MONITORING_SECONDS, platform_instance
from grader.adapter import configured_adapter
from grader.config import GraderConfig
from grader.engine_client import engine_client
from grader.health_server import check_docker
from grader.janitor import remove_containers_of
from grader.jobs import hand_over_removals, job_ending  # imported before forking: jobs start warm
from grader.sandbox import INSTANCE_ENV
from grader.seccomp import security_options
from grader.watch import JANITOR_DOCKER_TIMEOUT_SECONDS, GraderWatch
from workerkit.resilient import wait_for_valkey, work_through_outages

log = logging.getLogger(__name__)

# An idle worker blocks on the queue for WORKER_TTL_SECONDS - 15 s between its own checks
# (RQ's default 420 s would leave a dead scheduler dead for seven minutes).
WORKER_TTL_SECONDS = 60
# How often an idle or busy worker checks that its scheduler process (or another
# worker's) still runs.
SCHEDULER_CHECK_SECONDS = 30
# How often a grader whose Docker Engine does not answer asks it again (it takes no job
# meanwhile).
ENGINE_CHECK_SECONDS = 2
# How long an Engine that answered (the worker's check, or a job that ran its sandbox and
# removed it) is taken to answer still: the worker asks it again before a dequeue after that.
# A job taken after the Engine went away within this window ends in infra_error and is
# retried, as one taken during a dequeue's wait always could.
ENGINE_TRUSTED_SECONDS = 10


class GraderWorker(Worker):
    """RQ's forking worker, made to outlive a Valkey restart and its Engine's absence."""

    def request_stop(self, signum, frame) -> None:
        # RQ's SIGTERM handler raises StopRequested wherever the main thread is. Inside
        # docker-py (the Engine checks below, before a dequeue) any exception becomes a
        # DockerException, which those checks catch: the stop was lost and the worker went on
        # taking jobs. The flag survives that; the loops here and RQ's own stop on it.
        self._stop_requested = True
        super().request_stop(signum, frame)

    def maintain_heartbeats(self, job, execution) -> None:
        # Called while the horse runs: Valkey gone for a moment must not end the worker's
        # loop and leave the horse grading unwatched. The next beat tries again.
        try:
            super().maintain_heartbeats(job, execution)
        except RedisError as error:
            log.warning("heartbeat of job %s skipped: %s", job.id, error)

    def check_for_suspension(self, burst: bool) -> None:
        # RQ asks this before each dequeue. A grader whose Docker Engine does not answer (or
        # lacks the sandbox image) is suspended in effect: a job it took would only end in
        # infra_error and spend one of the job's retries, while a grader that can run it, or
        # this one once its Engine is back, finds it waiting on the queue. Its /readyz says
        # 503 meanwhile. A burst run (tests, one-off use) does not wait. An Engine that
        # answered moments ago (ENGINE_TRUSTED_SECONDS) is not asked again.
        super().check_for_suspension(burst)
        if self._containers_left and not self._jobs_waiting():
            self._remove_containers_left()  # no next horse to overlap: remove them now
        if not burst and not self._engine_answered_recently():
            self._wait_for_the_engine()
        if self._stop_requested or self._no_containers_left:
            return
        # No horse runs now, so a container still labelled with this worker is one that its
        # last horse could not remove (the Engine went away mid-run), or one it handed over:
        # remove them now.
        removed = self._remove_own_containers()
        self._no_containers_left = removed is not None
        if removed is not None:
            self._containers_left = ()
        if removed:
            log.warning("removed %d sandbox container(s) its last job left", removed)

    # When the Engine last answered (time.monotonic()), None when it has not since the last
    # job that failed; whether no container of this worker can be left but those handed
    # over (its last job removed or handed over its own, or the worker removed them since);
    # the ids its last job handed over, not yet removed; and whether removing some failed
    # since the last job ended.
    _engine_answered_at: float | None = None
    _no_containers_left = False
    _containers_left: tuple[str, ...] = ()
    _removal_failed = False

    def _engine_answered_recently(self) -> bool:
        answered_at = self._engine_answered_at
        return answered_at is not None and time.monotonic() - answered_at < ENGINE_TRUSTED_SECONDS

    def execute_job(self, job, queue) -> None:
        super().execute_job(job, queue)
        self.note_how_the_engine_answered(job)

    def fork_work_horse(self, job, queue) -> None:
        super().fork_work_horse(job, queue)
        # Only the worker returns here (the horse exits inside): the last job's containers
        # are the new horse's to remove, while it grades (grader.jobs says why the horse's).
        self._containers_left = ()

    def main_work_horse(self, job, queue) -> None:
        # In the horse: its finished containers are the worker's to remove, and it removes
        # those of the worker's last job.
        hand_over_removals(self._containers_left)
        super().main_work_horse(job, queue)

    def teardown(self) -> None:
        self._remove_containers_left()
        self._close_engine()
        super().teardown()

    def note_how_the_engine_answered(self, job) -> None:
        """After `job` ended: trust the Engine for a while if the job found it answering
        throughout (and the worker's own removals since the last job did not fail), else
        ask it (and look for this worker's containers) before the next; keep the ids of the
        containers the job left to remove."""
        try:
            ending = job_ending(job)
        except RedisError as error:
            log.warning("how job %s ended is unknown (%s): asking the Engine", job.id, error)
            ending = None
        answered = ending is not None and ending.engine_answered and not self._removal_failed
        self._removal_failed = False
        self._containers_left += ending.containers_left if ending is not None else ()
        self._engine_answered_at = time.monotonic() if answered else None
        self._no_containers_left = answered

    def _jobs_waiting(self) -> bool:
        """Whether a job waits on one of the worker's queues (a guess: another may take it)."""
        try:
            return any(queue.count for queue in self.queues)
        except RedisError:
            return False

    def _remove_containers_left(self) -> None:
        """Remove the containers the last job handed over; a failure leaves them to the
        check before the next dequeue (and to the janitor), and the Engine is asked then."""
        ids, self._containers_left = self._containers_left, ()
        if not ids:
            return
        try:
            client = self._engine()
            for container_id in ids:
                with contextlib.suppress(NotFound):
                    client.api.remove_container(container_id, v=True, force=True)
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("sandbox containers of %s stay for the janitor: %s", self.name, error)
            self._close_engine()
            self._removal_failed = True
            self._no_containers_left = False
            self._engine_answered_at = None

    def _wait_for_the_engine(self) -> None:
        config = GraderConfig.from_env()
        image, runtime = config.sandbox_image, config.sandbox_runtime
        problem = check_docker(image, runtime)
        if problem == "ok":
            self._engine_answered_at = time.monotonic()
            return
        log.warning(
            "%s: taking no job until it can run a sandbox", problem, extra={"event": "engine.lost"}
        )
        state = self.get_state()
        self.set_state(WorkerStatus.SUSPENDED)
        while problem != "ok" and not self._stop_requested:
            time.sleep(ENGINE_CHECK_SECONDS)
            self.heartbeat()  # still a live worker, in RQ's registry too
            problem = check_docker(image, runtime)
        self.set_state(state)
        if self._stop_requested:
            return
        self._engine_answered_at = time.monotonic()
        log.warning(
            "the Docker Engine and the sandbox image are back: taking jobs",
            extra={"event": "engine.back"},
        )

    def _remove_own_containers(self) -> int | None:
        """Remove the sandbox containers labelled with this worker; how many, or None when
        the Engine could not be asked (the janitor removes them later)."""
        try:
            instance = os.environ.get(INSTANCE_ENV, "")
            return remove_containers_of(self._engine(), self.name, instance)
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("sandbox containers of %s stay for the janitor: %s", self.name, error)
            self._close_engine()
            return None

    # The worker's own Engine client, for its removals: one for the worker's life rather
    # than one a job (docker-py builds a requests session, its adapters and a connection
    # pool for each: about 2 ms of CPU, with a new connection to the Engine). Its horses
    # inherit it and never use it (each makes its own, grader.jobs). Made again after a
    # failure.
    _engine_client: docker.DockerClient | None = None

    def _engine(self) -> docker.DockerClient:
        if self._engine_client is None:
            self._engine_client = engine_client(timeout=JANITOR_DOCKER_TIMEOUT_SECONDS)
        return self._engine_client

    def _close_engine(self) -> None:
        client, self._engine_client = self._engine_client, None
        if client is not None:
            with contextlib.suppress(DockerException, requests.exceptions.RequestException):
                client.close()

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage) -> None:
        # The horse died (SIGKILL, the OOM killer) and could not remove its container: this
        # worker does it at once (RQ then fails or retries the job, grader.abandoned
        # requeues a failed one).
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        removed = self._remove_own_containers()
        if removed is not None:
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


def run_worker(
    redis_url: str, queue_name: str, burst: bool = False, name: str | None = None
) -> bool:
    """Work the grading queue `queue_name` until stopped (or until it is empty, with `burst`)."""
    # The language adapter (its parser, its lab kinds) is imported by name on first use:
    # here, before the first fork. Left to the horses, each one imported it anew, about
    # 40 to 50 ms of CPU a grading taken from the sandboxes beside it.
    configured_adapter()
    # The horse's Valkey connection is its own (redis-py makes a new one after a fork), and
    # a connection made without a DriverInfo looks up redis-py's version in the installed
    # packages' metadata for CLIENT SETINFO: about a millisecond of CPU in every horse.
    # Looked up once here, the horses inherit it.
    connection = Redis.from_url(redis_url, driver_info=DriverInfo())
    wait_for_valkey(connection)
    instance = platform_instance(connection)
    os.environ[INSTANCE_ENV] = instance  # the horses label their containers with it
    queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
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
    runtime = GraderConfig.from_env().sandbox_runtime
    # Read (and compacted) once per process: here, not in every horse (a fifth of a ms).
    security_options(runtime)
    watch = GraderWatch(redis_url, worker.name, queue_name, instance, sandbox_runtime=runtime)
    # Alive before the first job is taken; the janitor waits for the watch's own thread, so a
    # silent Engine cannot hold the start.
    watch.tick(janitor=False)
    watch.start()
    try:
        # The scheduler moves retried jobs (infra errors) back onto the queue after their delay.
        return work_through_outages(worker, burst=burst, with_scheduler=True)
    finally:
        watch.stop()
