"""The lab kinds Node's adapter knows, by name, each put together from its parts.

A lab's module judges it and quotes its numbers (thread_lab.py, unblock_the_loop.py,
spawn_vs_exec.py); what the portal shows of it (analysis.py) reads the same module's
thresholds. Declaring the kinds here, after both, keeps the imports one way.
"""

from __future__ import annotations

from contract import Limits
from grader.adapters.node.labs.analysis import analyse_spawn_vs_exec, analyse_unblock_the_loop
from grader.adapters.node.labs.run_measurements import (
    spawn_vs_exec_run_measurements,
    unblock_the_loop_run_measurements,
)
from grader.adapters.node.labs.spawn_vs_exec import explain_spawn_vs_exec, judge_spawn_vs_exec
from grader.adapters.node.labs.thread_lab import THREAD_LAB
from grader.adapters.node.labs.unblock_the_loop import (
    explain_unblock_the_loop,
    judge_unblock_the_loop,
)
from grader.lab_kind import LabKind

UNBLOCK_THE_LOOP = LabKind(
    name="unblock-the-loop",
    default_limits=Limits(
        wall_seconds=25.0, memory_mib=512, cpus=2.0, pids=128, output_bytes=1024 * 1024
    ),
    goal=None,
    stop_after_goal_ms=None,
    judge=judge_unblock_the_loop,
    explain=explain_unblock_the_loop,
    analyse=analyse_unblock_the_loop,
    bonus_checks=frozenset({"splits_over_workers", "speeds_up"}),
    pass_score=0.6,
    # The chart's judged bars: the one-worker stall and the N-worker speedup.
    judged_quantities=(("variants.one_worker", "keeps_loop_responsive"), ("speedup", "speeds_up")),
    times_speedup=True,
    run_measurements=unblock_the_loop_run_measurements,
)

SPAWN_VS_EXEC = LabKind(
    name="spawn-vs-exec",
    default_limits=Limits(
        wall_seconds=20.0, memory_mib=256, cpus=1.0, pids=64, output_bytes=1024 * 1024
    ),
    goal=None,
    stop_after_goal_ms=None,
    judge=judge_spawn_vs_exec,
    explain=explain_spawn_vs_exec,
    analyse=analyse_spawn_vs_exec,
    run_measurements=spawn_vs_exec_run_measurements,
)


def lab_kinds() -> dict[str, LabKind]:
    """Every lab kind this grader knows, by name."""
    return {kind.name: kind for kind in (THREAD_LAB, UNBLOCK_THE_LOOP, SPAWN_VS_EXEC)}


def lab_kind(name: str) -> LabKind:
    """Return the lab kind called `name`, or raise KeyError with the known names."""
    kinds = lab_kinds()
    if name not in kinds:
        raise KeyError(f"unknown lab kind {name!r}; known: {', '.join(sorted(kinds))}")
    return kinds[name]
