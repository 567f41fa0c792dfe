"""Spawn vs exec: count the ERROR lines of a command whose output is several MiB.

exec (and execFile) buffer a command's whole output before the callback runs, and give up
past maxBuffer (1 MiB by default); spawn hands it over as a stream. The harness's driver
(services/sandbox-image/labs/spawn-vs-exec/, whose README.md states the task and these
rules for students) first runs the grader's own exec solution with room for the whole
output, in a process of its own, then the student's countErrors(command, args); the hooks
count which child_process functions ran. Passing needs the right count, spawn and no
buffering call, and a peak memory growth of at most STREAMING_MAX_MEMORY_RATIO of exec's:
a ratio of two measurements on the same host, never a number of bytes.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult, Limits
from grader.javascript import SourceFacts
from grader.labs import NOT_RUN, LabKind, skipped
from grader.labs.driven import export_check
from grader.labs.numbers import duration_text, number_at, percent_text, size_text, times_text
from grader.report import HarnessReport

STREAMING_MAX_MEMORY_RATIO = 0.5  # student's peak RSS growth over the exec reference's
BUFFERING_CALLS = ("exec", "execFile", "spawnSync", "execSync", "execFileSync")
CHECK_NAMES = ("exports_count_errors", "correct_result", "uses_spawn", "streams_output")


def judge_spawn_vs_exec(
    facts: SourceFacts, report: HarnessReport | None, config: dict[str, Any]
) -> list[CheckResult]:
    """The lab's checks, in the order the README lists them."""
    if report is None or "problem" not in report.measurements:
        return [CheckResult(name, False, NOT_RUN) for name in CHECK_NAMES]
    m = report.measurements
    exported = _exports_count_errors(m)
    if not exported.passed:
        return [exported, *(skipped(name, exported) for name in CHECK_NAMES[1:])]
    correct = _correct_result(m)
    return [exported, correct, _uses_spawn(report.child_process_calls), _streams(m, correct)]


def _exports_count_errors(m: dict[str, Any]) -> CheckResult:
    return export_check(
        m, "exports_count_errors", "countErrors", "function_missing", "export function countErrors"
    )


def _correct_result(m: dict[str, Any]) -> CheckResult:
    student = (m.get("variants") or {}).get("student")
    expected = number_at(m, "expected_errors")
    if not isinstance(student, dict) or expected is None:
        return CheckResult("correct_result", False, "countErrors() could not be measured.")
    if student.get("correct"):
        return CheckResult(
            "correct_result",
            True,
            f"countErrors() found the {int(expected)} ERROR lines in every run.",
        )
    error = student.get("error")
    if error and "maxBuffer" in error:
        limit = size_text(number_at(m, "exec_default_max_buffer_bytes") or 1024 * 1024)
        printed = size_text(number_at(m, "output_bytes") or 0)
        return CheckResult(
            "correct_result",
            False,
            f"countErrors() failed: {error}. The command prints {printed}; exec keeps at most "
            f"maxBuffer ({limit} by default) and then gives up.",
        )
    if error:
        return CheckResult("correct_result", False, f"countErrors() failed: {error}.")
    answer = student.get("answer")
    said = "no number" if answer is None else f"{answer:g}"
    return CheckResult(
        "correct_result",
        False,
        f"countErrors() resolved to {said}; the output has {int(expected)} lines containing "
        "ERROR. Mind the lines that arrive split across two chunks.",
    )


def _uses_spawn(calls: dict[str, int] | None) -> CheckResult:
    if calls is None:
        return CheckResult("uses_spawn", False, NOT_RUN)
    buffering = [name for name in BUFFERING_CALLS if calls.get(name)]
    if calls.get("spawn") and not buffering:
        return CheckResult("uses_spawn", True, "You ran the command with spawn.")
    if buffering:
        names = " and ".join(buffering)
        return CheckResult(
            "uses_spawn",
            False,
            f"You called {names}, which buffers the command's whole output: run it with "
            "spawn and read its stdout as a stream.",
        )
    return CheckResult(
        "uses_spawn", False, "spawn was never called: run the command with child_process.spawn."
    )


def _streams(m: dict[str, Any], correct: CheckResult) -> CheckResult:
    if not correct.passed:
        return CheckResult("streams_output", False, "Not measured: fix `correct_result` first.")
    ratio = number_at(m, "memory_ratio")
    grew = number_at(m, "variants", "student", "peak_rss_growth_bytes")
    exec_grew = number_at(m, "variants", "exec_reference", "peak_rss_growth_bytes")
    if ratio is None or grew is None or exec_grew is None:
        return CheckResult("streams_output", False, "Not measured.")
    printed = size_text(number_at(m, "output_bytes") or 0)
    if ratio <= STREAMING_MAX_MEMORY_RATIO:
        return CheckResult(
            "streams_output",
            True,
            f"Reading {printed} of output, your process grew by {size_text(grew)}; the "
            f"grader's exec solution grew by {size_text(exec_grew)} ({percent_text(ratio)}).",
        )
    return CheckResult(
        "streams_output",
        False,
        f"Reading {printed} of output, your process grew by {size_text(grew)}, "
        f"{percent_text(ratio)} of what exec's buffering costs ({size_text(exec_grew)}): "
        "count the lines as the chunks arrive instead of keeping them.",
    )


def explain_spawn_vs_exec(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """A.D.A. quotes exec's time and memory next to the student's."""
    m = measurements
    if verdict not in ("passed", "failed") or m.get("problem") is not None:
        return []
    printed = number_at(m, "output_bytes")
    exec_ms = number_at(m, "variants", "exec_reference", "wall_ms", "median")
    exec_grew = number_at(m, "variants", "exec_reference", "peak_rss_growth_bytes")
    if printed is None or not exec_ms or exec_grew is None:
        return []
    lines = [
        f"The command printed {size_text(printed)}. exec, given room for all of it, took "
        f"{duration_text(exec_ms)} and grew its process by {size_text(exec_grew)}."
    ]
    student = (m.get("variants") or {}).get("student") or {}
    student_ms = number_at(student, "wall_ms", "median")
    grew = number_at(student, "peak_rss_growth_bytes")
    if student.get("correct") and student_ms is not None and grew is not None and exec_grew:
        api = student.get("api") or "your code"
        lines.append(
            f"Your {api} run took {duration_text(student_ms)} "
            f"({times_text(student_ms / exec_ms)} exec's time) and grew it by {size_text(grew)} "
            f"({percent_text(grew / exec_grew)} of exec's growth)."
        )
    return lines


SPAWN_VS_EXEC = LabKind(
    name="spawn-vs-exec",
    default_limits=Limits(
        wall_seconds=20.0, memory_mib=256, cpus=1.0, pids=64, output_bytes=1024 * 1024
    ),
    goal=None,
    stop_after_goal_ms=None,
    judge=judge_spawn_vs_exec,
    explain=explain_spawn_vs_exec,
)
