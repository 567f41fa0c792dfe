"""Reap the gVisor sandboxes that a failed start under `runsc` leaves behind.

When a container's start fails under runsc (Debian's 0.0~20221219, Docker 20.10), the Engine
reports the error and `docker rm -f` removes the container, but runsc's sandbox and gofer
processes, its state in the runtime's root and containerd's task, container and shim all
stay: every failed start would leak three processes. Docker no longer knows the id, so its
own removal cannot help; this module finds runsc's containers that the Engine does not know
and ends them the way containerd's shim would: `runsc delete --force` (sandbox and gofer),
then containerd's task and container (which ends the shim).

The runtime's root is `<exec-root>/runtime-runc/moby`, not `runtime-runsc`: Docker 20.10
runs every runtime through containerd's runc v2 shim, which keeps its state in the runc
root whatever binary it calls. DOCKER_EXEC_ROOT names the Engine's exec root when it is not
/var/run/docker. It needs the host's view (root, the runsc and ctr binaries): a grader run
in a container without them reaps nothing, and says so once.

Only a start under runsc leaks, so only the watch of a grader whose SANDBOX_RUNTIME is runsc
reaps (grader.watch), every JANITOR_SECONDS; `grader janitor` reaps whatever the runtime.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import docker

log = logging.getLogger(__name__)

EXEC_ROOT_ENV = "DOCKER_EXEC_ROOT"
DEFAULT_EXEC_ROOT = "/var/run/docker"
CONTAINERD_NAMESPACE = "moby"  # the namespace Docker's containers live in, in containerd
COMMAND_TIMEOUT_SECONDS = 20
_said_unavailable = False


def runsc_root(exec_root: str) -> Path:
    """Where runsc keeps the state of the Engine's containers."""
    return Path(exec_root) / "runtime-runc" / CONTAINERD_NAMESPACE


def containerd_socket(exec_root: str) -> Path:
    """The socket of the containerd that the Engine started itself."""
    return Path(exec_root) / "containerd" / "containerd.sock"


def leaked_ids(runsc_ids: Iterable[str], engine_ids: Iterable[str]) -> list[str]:
    """runsc's containers the Engine does not know: a failed start's leftovers.

    runsc's list must be read before the Engine's: a container the Engine creates in
    between is then in the Engine's list, never taken for a leftover.
    """
    known = set(engine_ids)
    return sorted(set(runsc_ids) - known)


def reap_leaked_sandboxes(client: docker.DockerClient, exec_root: str | None = None) -> list[str]:
    """End runsc's sandboxes that the Engine behind `client` no longer knows; their ids.

    Nothing to do (an empty list) when runsc is not installed or its root is not visible.
    """
    exec_root = exec_root or os.environ.get(EXEC_ROOT_ENV) or DEFAULT_EXEC_ROOT
    root = runsc_root(exec_root)
    if shutil.which("runsc") is None or not root.is_dir():
        _say_unavailable(f"no runsc binary or no runsc root at {root}")
        return []
    listed = _run(["runsc", "--root", str(root), "list", "--quiet"])
    if listed is None:
        return []
    runsc_ids = listed.split()
    if not runsc_ids:
        return []
    engine_ids = [container.id for container in client.containers.list(all=True)]
    reaped = []
    for container_id in leaked_ids(runsc_ids, engine_ids):
        _run(["runsc", "--root", str(root), "delete", "--force", container_id])
        _end_containerd_task(exec_root, container_id)
        reaped.append(container_id)
    return reaped


def _end_containerd_task(exec_root: str, container_id: str) -> None:
    """Delete containerd's task and container of `container_id`, which ends its shim."""
    if shutil.which("ctr") is None:
        _say_unavailable("no ctr binary: the shims of reaped runsc sandboxes stay")
        return
    ctr = ["ctr", "--address", str(containerd_socket(exec_root)), "-n", CONTAINERD_NAMESPACE]
    _run([*ctr, "task", "delete", "--force", container_id])
    _run([*ctr, "container", "delete", container_id])


def _run(command: list[str]) -> str | None:
    """The command's stdout, or None (logged) when it failed."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("runsc janitor: %s failed: %s", " ".join(command[:4]), error)
        return None
    if done.returncode != 0:
        log.warning(
            "runsc janitor: %s exited %d: %s",
            " ".join(command[:4]),
            done.returncode,
            done.stderr.strip()[-300:],
        )
        return None
    return done.stdout


def _say_unavailable(reason: str) -> None:
    global _said_unavailable
    if not _said_unavailable:
        _said_unavailable = True
        log.info("runsc janitor: %s; it reaps nothing", reason)
