"""Remove sandbox containers that a dead grader left behind.

Each run removes its own container in `finally`, but a grader killed with SIGKILL cannot.
Containers carry the sandbox label, so any that outlived the longest possible run are
leftovers; the janitor removes them with their volumes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import docker
from docker.errors import NotFound

from grader.sandbox import SANDBOX_LABEL


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
