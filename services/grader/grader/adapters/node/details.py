"""The fields only Node's harness writes in its report, checked like the envelope.

The harness's hooks count what really happened at run time: Workers constructed and online,
messages that crossed between threads, and each `child_process` function called. The labs'
checks rest on these counts, so a malformed count makes the whole report untrusted (never
read as zero): a program that forged it gets no verdict from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.report import ReportError, checked_count

OBSERVATION_NAMES = ("workers_created", "workers_online", "messages_to_main", "messages_to_worker")
CHILD_PROCESS_FUNCTIONS = (
    "spawn",
    "exec",
    "execFile",
    "fork",
    "spawnSync",
    "execSync",
    "execFileSync",
)


@dataclass(frozen=True)
class NodeDetails:
    """What Node's harness observed at run time (HarnessReport.details)."""

    observations: dict[str, int]  # OBSERVATION_NAMES -> count
    child_process_calls: dict[str, int] | None = None  # None: the code did not run


def read_details(details: Mapping[str, Any]) -> NodeDetails:
    """Check Node's fields of a report, or raise ReportError."""
    observations = details.get("observations")
    if not isinstance(observations, dict):
        raise ReportError("observations missing")
    counts = {name: checked_count(observations.get(name), name) for name in OBSERVATION_NAMES}
    return NodeDetails(
        observations=counts,
        child_process_calls=_child_process_calls(details.get("child_process_calls")),
    )


def _child_process_calls(value: Any) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ReportError("child_process_calls is malformed")
    return {name: checked_count(value.get(name, 0), name) for name in CHILD_PROCESS_FUNCTIONS}
