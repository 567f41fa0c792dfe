"""Remove sandbox containers that a dead grader left behind.

Each run removes its own container in `finally`, but a grader killed with SIGKILL cannot.
Containers carry the sandbox label, so any that outlived the longest possible run are
leftovers; the janitor removes them with their volumes. A live grader also removes, every
few seconds, the containers of graders that are dead (remove_orphaned_containers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import docker
from docker.errors import NotFound

from grader.sandbox import DEADLINE_LABEL, GRADER_LABEL, INSTANCE_LABEL, SANDBOX_LABEL


def remove_leftover_containers(client: docker.DockerClient, older_than_seconds: float) -> int:
    """Remove labelled sandbox containers created more than `older_than_seconds` ago."""
    removed = 0
    now = datetime.now(UTC)
    for container in client.containers.list(all=True, filters={"label": SANDBOX_LABEL}):
        created = datetime.fromisoformat(container.attrs["Created"].replace("Z", "+00:00"))
        if (now - created).total_seconds() < older_than_seconds:
            continue
        try:
            container.remove(force=True, v=True)
            removed += 1
        except NotFound:
            pass  # removed by its own grader meanwhile
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
    for container in client.containers.list(all=True, filters={"label": SANDBOX_LABEL}):
        labels = container.labels
        owner = labels.get(GRADER_LABEL, "")
        deadline = float(labels.get(DEADLINE_LABEL) or "inf")
        ours = bool(instance) and labels.get(INSTANCE_LABEL) == instance
        owner_dead = ours and bool(owner) and not grader_alive(owner)
        if not owner_dead and now < deadline + DEADLINE_MARGIN_SECONDS:
            continue
        try:
            container.remove(force=True, v=True)
            removed.append(container.id)
        except NotFound:
            pass  # removed by its own grader meanwhile
    return removed


def remove_containers_of(client: docker.DockerClient, grader_name: str, instance: str) -> int:
    """Remove the sandbox containers labelled with `grader_name` of platform `instance`.

    Its worker calls this when its work-horse died mid-job: a worker runs one horse at a
    time, so any container still carrying its name was that horse's. Returns how many.
    """
    removed = 0
    filters = {
        "label": [
            SANDBOX_LABEL,
            f"{GRADER_LABEL}={grader_name}",
            f"{INSTANCE_LABEL}={instance}",
        ]
    }
    for container in client.containers.list(all=True, filters=filters):
        try:
            container.remove(force=True, v=True)
            removed += 1
        except NotFound:
            pass
    return removed
