"""Which grader consumes which queue: configuration, never code.

Content names the grader of each lab (`grader: node-sandbox`); the portal only needs to know
on which queue that grader listens. The mapping comes from GRADER_QUEUES
(`name=queue,name=queue`), so adding a grader kind (a service with its own sandbox image and
queue) touches no portal code and no contract code: the operator names it here, and a lab
that names a grader not listed is refused when the content is loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from flask import current_app

# The graders the shipped courses name, on the queues their workers consume by default:
# the Node.js grader (contract.GRADING_QUEUE) and the Python one (GRADER_ADAPTER=python).
DEFAULT_GRADER_QUEUES = "node-sandbox=grading,python-sandbox=grading-python"
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
QUEUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")


class GraderQueuesError(ValueError):
    """GRADER_QUEUES is malformed; the message says which entry and why."""


def parse_grader_queues(text: str) -> dict[str, str]:
    """`name=queue,name=queue` as {name: queue}; raises GraderQueuesError."""
    queues: dict[str, str] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        name, equals, queue = (piece.strip() for piece in entry.partition("="))
        if not equals or not NAME.fullmatch(name) or not QUEUE.fullmatch(queue):
            raise GraderQueuesError(
                f"GRADER_QUEUES: {entry!r} is not grader-name=queue-name "
                "(e.g. node-sandbox=grading,python-sandbox=grading-python)"
            )
        if name in queues:
            raise GraderQueuesError(f"GRADER_QUEUES: grader {name!r} is listed twice")
        queues[name] = queue
    if not queues:
        raise GraderQueuesError("GRADER_QUEUES names no grader")
    return queues


def grader_queues_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The graders this deployment runs, from GRADER_QUEUES (default: the Node and Python ones)."""
    env = os.environ if environ is None else environ
    return parse_grader_queues(env.get("GRADER_QUEUES", DEFAULT_GRADER_QUEUES))


def grading_queue_names() -> list[str]:
    """The queues of the current app's graders, each once."""
    return sorted(set(current_app.config["GRADER_QUEUES"].values()))
