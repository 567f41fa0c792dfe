"""The lab kinds Python's adapter knows, by name, each put together from its parts.

A lab's module judges it (beat_the_gil.py, async_gather.py); what the portal shows of it
(*_analysis.py, charts.py, run_measurements.py) reads the same module's thresholds.
Declaring the kinds here, after all of them, keeps the imports one way.
"""

from __future__ import annotations

from contract import Limits
from grader.adapters.python.labs.async_gather import judge_async_gather
from grader.adapters.python.labs.async_gather_analysis import (
    analyse_async_gather,
    explain_async_gather,
)
from grader.adapters.python.labs.beat_the_gil import judge_beat_the_gil
from grader.adapters.python.labs.beat_the_gil_analysis import (
    analyse_beat_the_gil,
    explain_beat_the_gil,
)
from grader.adapters.python.labs.run_measurements import (
    async_gather_run_measurements,
    beat_the_gil_run_measurements,
)
from grader.lab_kind import LabKind

BEAT_THE_GIL = LabKind(
    name="beat-the-gil",
    # A job of about 0.7 s of CPU, timed four ways three times, plus calibration, within
    # the grader's 30 s ceiling; a pool's processes, their helper threads, the harness and
    # the driver count against pids.
    default_limits=Limits(
        wall_seconds=30.0, memory_mib=512, cpus=2.0, pids=128, output_bytes=1024 * 1024
    ),
    goal=None,
    stop_after_goal_ms=None,
    judge=judge_beat_the_gil,
    explain=explain_beat_the_gil,
    analyse=analyse_beat_the_gil,
    # The chart's judged bars: where the CPU time went, and the processes' speedup.
    judged_quantities=(
        ("variants.processes", "work_ran_in_processes"),
        ("speedup", "speeds_up"),
    ),
    times_speedup=True,
    run_measurements=beat_the_gil_run_measurements,
)

ASYNC_GATHER = LabKind(
    name="async-gather",
    # Two gathers of about 0.3 s and, for code that waits one request at a time, 3.5 s,
    # three times; the lab's server is a process of its own.
    default_limits=Limits(
        wall_seconds=30.0, memory_mib=256, cpus=1.0, pids=64, output_bytes=1024 * 1024
    ),
    goal=None,
    stop_after_goal_ms=None,
    judge=judge_async_gather,
    explain=explain_async_gather,
    analyse=analyse_async_gather,
    judged_quantities=(
        ("variants.fetch_all.wall_ms", "runs_concurrently"),
        ("variants.fetch_all.lag_max_ms", "loop_never_blocked"),
    ),
    # The loop's lateness and the wall time are clocks: a grading that shares the host's
    # CPUs with a speed lab would spoil both.
    times_speedup=True,
    run_measurements=async_gather_run_measurements,
)


def lab_kinds() -> dict[str, LabKind]:
    """Every lab kind this adapter knows, by name."""
    return {kind.name: kind for kind in (BEAT_THE_GIL, ASYNC_GATHER)}
