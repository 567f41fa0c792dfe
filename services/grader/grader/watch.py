"""The grader worker's watch: a thread that says it is alive and cleans up after dead peers.

Every HEARTBEAT_SECONDS it refreshes this worker's liveness key and scans for abandoned
grading jobs (grader.abandoned); every JANITOR_SECONDS it removes the sandbox containers of
dead graders from its Engine (grader.janitor). A thread of the worker's main process, not
of the work-horse: it lives exactly as long as the worker does, which is what the liveness
key must say, and it keeps beating while the horse runs a long job.

A grader whose SANDBOX_RUNTIME is runsc also reaps, every JANITOR_SECONDS, the gVisor
sandboxes that failed starts under runsc left behind (grader.runsc_leftovers). Only a start
under runsc leaks them, and each runsc grader reaps every leftover of its Engine, its peers'
too; a runc grader runs no `runsc list` (a Go binary, whose CPU comes out of the
sandboxes') even on a host where runsc is installed. Leftovers of a runsc grader with no
runsc peer left wait for `grader janitor`.

Valkey or the Engine being unreachable is logged and tried again on the next tick: the watch
never stops before its worker does.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

import docker
import requests
from docker.errors import DockerException
from redis import Redis
from redis.exceptions import RedisError

from grader.abandoned import HEARTBEAT_SECONDS, AbandonedJobDetector, is_alive, mark_alive
from grader.engine_client import engine_client
from grader.janitor import remove_orphaned_containers
from grader.runsc_leftovers import reap_leaked_sandboxes

log = logging.getLogger(__name__)

JANITOR_SECONDS = 15
JANITOR_DOCKER_TIMEOUT_SECONDS = 30  # a list or a forced removal, under load


class GraderWatch(threading.Thread):
    """Run beside one grader worker named `worker_name`, whose sandboxes run under
    `sandbox_runtime` (grader.config.SANDBOX_RUNTIMES), until `stop()`."""

    def __init__(
        self,
        redis_url: str,
        worker_name: str,
        queue_name: str,
        instance: str,
        sandbox_runtime: str,
    ) -> None:
        super().__init__(name="grader-watch", daemon=True)
        # A connection of its own: the worker's is not meant to be shared between threads.
        self.connection = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        self.worker_name = worker_name
        self.instance = instance
        self.reaps_runsc_sandboxes = sandbox_runtime == "runsc"
        self.detector = AbandonedJobDetector(self.connection, queue_name)
        self._stopped = threading.Event()
        self._next_janitor = 0.0
        # Graders seen dead by the previous janitor run: their containers go when seen again,
        # so a grader briefly cut off from Valkey does not lose the container it is using.
        self._dead_owners: set[str] = set()

    def stop(self) -> None:
        """Stop beating (the liveness key then expires) and end the thread."""
        self._stopped.set()
        self.join(timeout=HEARTBEAT_SECONDS * 2)
        self.connection.close()

    def run(self) -> None:
        while not self._stopped.is_set():
            self.tick()
            self._stopped.wait(HEARTBEAT_SECONDS)

    def tick(self, janitor: bool = True) -> None:
        """One beat: liveness, abandoned jobs and, when due (and `janitor`), the janitor."""
        try:
            mark_alive(self.connection, self.worker_name)
            for job_id in self.detector.scan():
                log.warning("requeued %s, abandoned by its grader", job_id)
        except RedisError as error:
            log.warning("watch: Valkey unreachable (%s); trying again", error)
            return
        if janitor and time.monotonic() >= self._next_janitor:
            self._next_janitor = time.monotonic() + JANITOR_SECONDS
            self._remove_dead_graders_containers()
            if self.reaps_runsc_sandboxes:
                self._reap_leaked_runsc_sandboxes()

    def _remove_dead_graders_containers(self) -> None:
        seen_dead: set[str] = set()

        def alive(owner: str) -> bool:
            if is_alive(self.connection, owner):
                return True
            seen_dead.add(owner)
            return owner not in self._dead_owners

        try:
            removed = remove_orphaned_containers(_docker_client(), alive, self.instance)
        except (DockerException, requests.exceptions.RequestException, RedisError) as error:
            log.warning("watch: janitor skipped: %s", error)
            return
        self._dead_owners = seen_dead
        if removed:
            log.warning(
                "removed %d sandbox container(s) of dead graders",
                len(removed),
                extra={"event": "container.orphan_removed"},
            )

    def _reap_leaked_runsc_sandboxes(self) -> None:
        try:
            reaped = reap_leaked_sandboxes(_docker_client())
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("watch: runsc janitor skipped: %s", error)
            return
        if reaped:
            log.warning(
                "reaped %d runsc sandbox(es) that failed starts left behind",
                len(reaped),
                extra={"event": "container.runsc_reaped"},
            )


@functools.cache
def _docker_client() -> docker.DockerClient:
    # Bounded: an Engine that takes connections and never answers must not hold the watch
    # (and the grader's liveness with it) for docker-py's default minute.
    return engine_client(timeout=JANITOR_DOCKER_TIMEOUT_SECONDS)
