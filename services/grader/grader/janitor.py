"""Remove sandbox containers that a dead grader left behind.

Each run removes its own container in `finally`, but a grader killed with SIGKILL cannot.
Containers carry the sandbox label, so any that outlived the longest possible run are
leftovers; the janitor removes them with their volumes. A live grader also removes, every
few seconds, the containers of graders that are dead (remove_orphaned_containers).

Each function asks the Engine for one sparse list (its labels, ids and creation times) and
never inspects a container: a full list costs one inspect per container, and on a busy host
a container another grader removes between the list and its inspect (its finished sandbox)
made docker-py raise NotFound and lost the whole run. A container gone before its own
removal, or already being removed by another grader (two janitors, or a janitor and the
container's own worker, at the same moment: the Engine answers 409), is simply not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from grader.sandbox import DEADLINE_LABEL, GRADER_LABEL, INSTANCE_LABEL, SANDBOX_LABEL

CONFLICT = 409  # the Engine's answer to removing a container whose removal is under way


def remove_leftover_containers(client: docker.DockerClient, older_than_seconds: float) -> int:
    """Remove labelled sandbox containers created more than `older_than_seconds` ago."""
    removed = 0
    now = time.time()
    for container in _sandbox_containers(client, [SANDBOX_LABEL]):
        # The list's creation time is seconds since the epoch (an inspect's is ISO text).
        if now - container.attrs["Created"] < older_than_seconds:
            continue
        removed += _remove(container)
    return removed


# How long past its outer timeout a container may stay: its own grader removes it in
# `finally` right after the timeout, so one still there this much later was forgotten.
DEADLINE_MARGIN_SECONDS = 30


def remove_orphaned_containers(
    client: docker.DockerClient,
    grader_alive: Callable[[str], bool],
    instance: str,
    now: float | None = None,
) -> list[str]:
    """Remove sandbox containers whose grader is dead or that outlived their deadline.

    Run by every live grader (grader.watch) on this Engine: a container of this platform
    (`instance`) labelled with a grader that no longer says it is alive was left by a killed
    grader, and any one past its outer timeout plus DEADLINE_MARGIN_SECONDS was forgotten.
    Another platform's containers on the same Engine are judged by their deadline only.
    Returns the removed ids.
    """
    now = time.time() if now is None else now
    removed = []
    for container in _sandbox_containers(client, [SANDBOX_LABEL]):
        labels = container.attrs.get("Labels") or {}
        owner = labels.get(GRADER_LABEL, "")
        deadline = float(labels.get(DEADLINE_LABEL) or "inf")
        ours = bool(instance) and labels.get(INSTANCE_LABEL) == instance
        owner_dead = ours and bool(owner) and not grader_alive(owner)
        if not owner_dead and now < deadline + DEADLINE_MARGIN_SECONDS:
            continue
        if _remove(container):
            removed.append(container.id)
    return removed


def remove_containers_of(client: docker.DockerClient, grader_name: str, instance: str) -> int:
    """Remove the sandbox containers labelled with `grader_name` of platform `instance`.

    Its worker calls this when its work-horse died mid-job: a worker runs one horse at a
    time, so any container still carrying its name was that horse's. Returns how many.
    """
    labels = [SANDBOX_LABEL, f"{GRADER_LABEL}={grader_name}", f"{INSTANCE_LABEL}={instance}"]
    return sum(_remove(container) for container in _sandbox_containers(client, labels))


def _sandbox_containers(client: docker.DockerClient, labels: list[str]) -> list[Container]:
    """The containers carrying every one of `labels`, as the Engine's list describes them.

    Sparse: their attrs are the list's answer (`Labels`, `Created` in epoch seconds), and
    `Container.labels`, which reads an inspect's `Config`, must not be used on them.
    """
    return client.containers.list(all=True, sparse=True, filters={"label": labels})


def _remove(container: Container) -> bool:
    """Remove `container` with its volumes; False when it was gone already, or going (removed
    by its own grader or another janitor meanwhile)."""
    try:
        container.remove(force=True, v=True)
    except NotFound:
        return False
    except APIError as error:
        if error.status_code == CONFLICT:  # "removal ... is already in progress"
            return False
        raise
    return True
