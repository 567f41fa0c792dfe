"""One sandbox run: create -> attach stdin -> start -> job on stdin -> wait(timeout) ->
inspect -> remove.

The container is always removed whatever happens in between: at the end of the run, or,
when the caller passes its `ContainerRemovals`, once the caller is done with the result
(the worker's job publishes the student's result first: nothing in it depends on the
removal), or by whoever the caller hands them over to (a grader worker's horse hands them
to its worker, whose next horse removes them while it grades: grader.jobs, grader.worker).

The job and the student's files go in on the container's stdin, one JSON document the
harness reads to its end before any student code runs (its job_input module); that works
with a read-only root filesystem and with a remote Engine (no host path is shared), and
costs a write on a socket where `put_archive` into a /work volume cost the Engine a mount,
an unpacking process and the volume (about a tenth of a second a run). The harness prints
its report on stdout, which the grader reads from the container's log.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import requests
from docker.errors import APIError, DockerException, NotFound
from docker.types import LogConfig

from contract import Limits
from grader import metrics, phases
from grader.host_usage import CGROUP_ROOT, HostUsage, UsageWatch
from grader.limits import docker_run_options, outer_timeout_seconds

SANDBOX_LABEL = "org.course-platform.sandbox"
SUBMISSION_LABEL = "org.course-platform.submission"
# The RQ worker whose work-horse runs the container (RQ sets RQ_WORKER_ID in the horse), and
# when its outer timeout has passed (Unix seconds): the janitor of a live grader removes the
# container once that grader is dead or that time is long past (grader.janitor).
GRADER_LABEL = "org.course-platform.grader"
DEADLINE_LABEL = "org.course-platform.deadline"
# Which platform (which Valkey) the grader serves: grader names mean something only there,
# and several platforms (or test suites) may share one Engine. The worker puts it in its
# environment before forking its horses (grader.abandoned.platform_instance).
INSTANCE_LABEL = "org.course-platform.instance"
INSTANCE_ENV = "GRADER_PLATFORM_INSTANCE"
# The harness's report is small; a log larger than this was flooded by hostile code.
LOG_CAP_BYTES = 2 * 1024 * 1024
# The Engine's json-file log, which is where the grader reads the container's stdout. Student
# code can write to it too (the harness's /proc/<pid>/fd/1), so it is bounded: at most two
# files of 2 MB (the Engine's "m" is decimal). Two, not one: the Engine stores a long line in
# 16 KiB chunks and rotates between chunks, and with one file it reads back only the file
# written after the last rotation; a program that sized its writes to make the rotation
# fall inside the report would cut off the report's head, and a harness that exited 0 with no
# readable report is `infra_error`, retried for free at the student's will. A report (at
# most REPORT_CAP_BYTES) is smaller than one file, so with two it is always read whole.
LOG_OPTIONS = {"max-size": "2m", "max-file": "2"}

log = logging.getLogger(__name__)


class InfrastructureError(RuntimeError):
    """The sandbox could not run for a reason that is ours, not the student's."""


@dataclass(frozen=True)
class SandboxJob:
    """What to run: the files, and the job description the harness reads."""

    submission_id: str  # for the container's labels
    files: dict[str, str]  # path inside the submission -> text
    harness_job: dict[str, Any]  # the harness's job (job.json in the plain runs' /work)
    limits: Limits  # already clamped
    ipc_mode: str = "none"  # the language adapter's; "none": no /dev/shm


@dataclass(frozen=True)
class SandboxRun:
    """What the Engine saw of one run."""

    exit_code: int | None  # the harness's exit status (None when killed by the grader)
    stdout: bytes  # the container's stdout, the last line being the report
    oom_killed: bool  # the Engine says the memory limit was hit
    outer_timeout: bool  # the grader had to kill the container
    container_started: str  # ISO time the container started
    runtime: str = ""  # the OCI runtime the Engine ran it under (its HostConfig.Runtime)
    # What the container's host cgroup counted (grader.host_usage): the same figures under
    # every runtime, all None when the grader cannot see the Engine's host's cgroup tree.
    usage: HostUsage = HostUsage()
    # Milliseconds each step took (grader.phases: create, copy, start, run, logs, inspect,
    # remove), for the benches; timestamps only.
    phases_ms: dict[str, float] = field(default_factory=dict)


class ContainerRemovals:
    """The containers of finished runs, removed when `remove_all` is called or the block
    ends, whatever ends it: a caller's way to say "remove them, but after I answer".

    A removal that fails leaves the container to the janitor (grader.janitor, and the
    worker's own check before its next job when `all_removed` says so).
    """

    def __init__(self) -> None:
        self._containers: list[Any] = []
        self.all_removed = True  # False once a removal failed

    def defer(self, container: Any) -> None:
        """Remove `container` later, with the others."""
        self._containers.append(container)

    def remove_all(self) -> None:
        """Remove every container deferred so far."""
        while self._containers:
            if not _remove(self._containers.pop()):
                self.all_removed = False

    def hand_over(self) -> list[str]:
        """The ids of every container deferred so far, for another process to remove: they
        are no longer this one's to remove."""
        ids = [container.id for container in self._containers]
        self._containers.clear()
        return ids

    def __enter__(self) -> ContainerRemovals:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove_all()


def run_in_sandbox(
    client: docker.DockerClient,
    image: str,
    job: SandboxJob,
    runtime: str = "runc",
    cgroup_root: Path = CGROUP_ROOT,
    removals: ContainerRemovals | None = None,
) -> SandboxRun:
    """Run `job` in a fresh container of `image` under the OCI `runtime` (the host's
    SANDBOX_RUNTIME, grader.config) and return what happened, with what its host cgroup
    counted, read under `cgroup_root` (GRADER_HOST_CGROUP_DIR).

    The container is removed before this returns, or, with `removals`, handed to them (its
    removal is then not among the run's phases).
    Raises InfrastructureError when the Engine cannot create, start or inspect it.
    """
    container = None
    creating = time.monotonic()
    clock = phases.PhaseClock()
    options = docker_run_options(job.limits, job.ipc_mode, runtime)
    try:
        container = client.containers.create(
            image,
            labels=_labels(job),
            log_config=LogConfig(type=LogConfig.types.JSON, config=dict(LOG_OPTIONS)),
            runtime=runtime,
            # The harness's stdin, closed once the grader has written the job: docker-py sets
            # StdinOnce with it for a container created attached (not detached), as here.
            stdin_open=True,
            **options,
        )
        clock.lap(phases.CREATE)
        stdin = container.attach_socket(params={"stdin": 1, "stream": 1})
        clock.lap(phases.COPY)
        try:
            container.start()
            clock.lap(phases.START)
            _write_to_the_end(stdin, _harness_input(job))
        finally:
            _close(stdin)
        clock.lap(phases.COPY)
        started = _now()
        # The job's log context names the submission (or the run); so does the container's
        # label, which is how an operator finds it in `docker ps`.
        log.info("sandbox container started", extra={"event": "container.started"})
        metrics.observe_container_start(time.monotonic() - creating)
        outer_timeout = False
        # Its cgroup parent as created ("" for the Engine's default), which the Engine's
        # inspect would echo: the container is inspected only after the run.
        cgroup_parent = options.get("cgroup_parent") or ""
        with UsageWatch(container.id, cgroup_parent, cgroup_root) as watch:
            try:
                status = container.wait(timeout=outer_timeout_seconds(job.limits))
                exit_code: int | None = status.get("StatusCode")
            except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
                outer_timeout = True
                exit_code = None
                _kill(container)
        clock.lap(phases.RUN)
        stdout = container.logs(stdout=True, stderr=False)[-LOG_CAP_BYTES:]
        clock.lap(phases.LOGS)
        container.reload()
        clock.lap(phases.INSPECT)
        oom_killed = bool(container.attrs.get("State", {}).get("OOMKilled"))
        ran_under = container.attrs.get("HostConfig", {}).get("Runtime") or runtime
        metrics.count_sandbox_run(oom_killed, outer_timeout)
        run = SandboxRun(
            exit_code, stdout, oom_killed, outer_timeout, started, ran_under, watch.usage
        )
    except DockerException as error:
        metrics.count_sandbox_failure()
        raise InfrastructureError(f"the Docker Engine failed: {error}") from error
    except (requests.exceptions.RequestException, OSError) as error:
        metrics.count_sandbox_failure()
        raise InfrastructureError(f"the Docker Engine is unreachable: {error}") from error
    finally:
        if container is not None and removals is not None:
            removals.defer(container)
        elif container is not None:
            _remove(container)
            clock.lap(phases.REMOVE)
    return replace(run, phases_ms=clock.laps())


def _labels(job: SandboxJob) -> dict[str, str]:
    deadline = time.time() + outer_timeout_seconds(job.limits)
    return {
        SANDBOX_LABEL: "1",
        SUBMISSION_LABEL: job.submission_id,
        GRADER_LABEL: os.environ.get("RQ_WORKER_ID", ""),
        INSTANCE_LABEL: os.environ.get(INSTANCE_ENV, ""),
        DEADLINE_LABEL: str(int(deadline)),
    }


def _kill(container: Any) -> None:
    """SIGKILL a container the outer timeout gave up on.

    It may have ended between the timeout and the kill; the Engine then answers 409, which
    must not turn a run that is over into `infra_error`.
    """
    try:
        container.kill()
    except APIError as error:
        if error.status_code != 409:
            raise


def _remove(container: Any) -> bool:
    """Remove `container` and its volume; whether it is gone."""
    try:
        container.remove(force=True, v=True)
    except NotFound:
        pass
    except (DockerException, requests.exceptions.RequestException):
        # The janitor removes labelled leftovers; never let cleanup hide the real outcome.
        return False
    return True


def _harness_input(job: SandboxJob) -> bytes:
    """What the harness reads on its stdin: the job and the student's files, as JSON."""
    return json.dumps({"job": job.harness_job, "files": job.files}).encode("utf-8")


def _write_to_the_end(attached: Any, data: bytes) -> None:
    """Write `data` on an attached stdin and end it (the harness reads to its end)."""
    connection = _connection(attached)
    connection.sendall(data)
    connection.shutdown(socket.SHUT_WR)


def _close(attached: Any) -> None:
    # The socket and the file-like wrapper docker-py made of it: the socket's descriptor is
    # freed only when both are closed.
    _connection(attached).close()
    attached.close()


def _connection(attached: Any) -> Any:
    # docker-py hands back a file-like wrapper of the connection's socket, or the socket.
    return getattr(attached, "_sock", attached)


def _now() -> str:
    return datetime.now(UTC).isoformat()
