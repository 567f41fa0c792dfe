"""The lab kinds this grader knows, by name.

A lab kind is how one kind of lab is graded: its default limits, what the harness should
watch for, and the checks that turn the source's facts and the run's report into a
verdict. Content names a kind (`kind: thread-lab`); the grader refuses unknown kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract import CheckResult, Limits
from grader.javascript import SourceFacts
from grader.report import HarnessReport

Judge = Callable[[SourceFacts, HarnessReport | None, dict[str, Any]], list[CheckResult]]


@dataclass(frozen=True)
class LabKind:
    """How to grade one kind of lab."""

    name: str  # e.g. "thread-lab"
    default_limits: Limits  # used by the CLI; a request brings its own
    goal: str | None  # what the harness watches for, e.g. "message_crossed"
    stop_after_goal_ms: int | None  # grace before stopping a program that reached its goal
    judge: Judge  # facts + report -> checks, in the order the student sees them


def lab_kind(name: str) -> LabKind:
    """Return the lab kind called `name`, or raise KeyError with the known names."""
    from grader.labs import thread_lab

    kinds = {kind.name: kind for kind in (thread_lab.THREAD_LAB,)}
    if name not in kinds:
        raise KeyError(f"unknown lab kind {name!r}; known: {', '.join(sorted(kinds))}")
    return kinds[name]
