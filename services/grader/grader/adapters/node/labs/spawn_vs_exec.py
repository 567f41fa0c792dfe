"""Spawn vs exec: count the ERROR lines of a command whose output is several MiB.

exec (and execFile) buffer a command's whole output before the callback runs, and give up
past maxBuffer (1 MiB by default); spawn hands it over as a stream. The harness's driver
(services/sandbox-image/labs/spawn-vs-exec/, whose README.md states the task and these
rules for students) first runs the grader's own exec solution with room for the whole
output, in a process of its own, then the student's countErrors(command, args). The hooks
count which child_process functions ran and how many bytes of the command's own stdout
reached the student's code; the driver samples the memory the process retains (after a
forced full collection), so garbage not yet collected never counts. Passing needs the right
count, spawn and no buffering call, the whole output read in the student's process, and a
peak retained growth of at most STREAMING_MAX_RETAINED_RATIO of the output's size: ratios
of measurements, never a number of bytes.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult
from grader.adapters.node.javascript import SourceFacts
from grader.adapters.node.labs.driven import export_check
from grader.lab_kind import NOT_RUN, skipped
from grader.numbers import duration_text, number_at, percent_text, size_text, times_text
from grader.report import HarnessReport

# Peak retained growth over the output's size: a streaming reader keeps a chunk or two (a few
# % of 2 MiB or more), one that keeps the output keeps about all of it (100% and up).
STREAMING_MAX_RETAINED_RATIO = 0.5
# Bytes of the command's stdout the student's code received, over the output's size, in its
# poorest call: a reader receives all of it; a decoy that starts the command and counts
# elsewhere receives none.
READ_MIN_RATIO = 0.95
BUFFERING_CALLS = ("exec", "execFile", "spawnSync", "execSync", "execFileSync")
SYNC_CALLS = ("spawnSync", "execSync", "execFileSync")
CHECK_NAMES = (
    "exports_count_errors",
    "correct_result",
    "uses_spawn",
    "reads_the_stream",
    "streams_output",
)


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
    calls = report.details.child_process_calls
    reads = _reads_the_stream(m, calls)
    return [exported, correct, _uses_spawn(calls), reads, _streams(m, correct, reads)]


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


def _reads_the_stream(m: dict[str, Any], calls: dict[str, int] | None) -> CheckResult:
    name = "reads_the_stream"
    student = (m.get("variants") or {}).get("student")
    printed = number_at(m, "output_bytes")
    command = student.get("command") if isinstance(student, dict) else None
    if calls is None or not isinstance(command, dict) or not printed:
        return CheckResult(name, False, NOT_RUN)
    runs = int(number_at(student, "runs") or 0)
    spawns = int(number_at(command, "spawns") or 0)
    least = number_at(command, "bytes_read_min") or 0.0
    sync = [call for call in SYNC_CALLS if calls.get(call)]
    size = size_text(printed)
    if spawns >= runs and least >= READ_MIN_RATIO * printed:
        return CheckResult(
            name, True, f"All {size} of the command's stdout reached your code in every call."
        )
    if spawns == 0:
        other = command.get("other_file")
        if other and int(number_at(command, "other_spawns") or 0) > 0:
            why = (
                f"it started `{other}` instead, so whatever counted the lines (a pipeline such "
                "as `| grep -c ERROR`) ran in another process"
            )
        elif sync:
            why = f"it ran it with {' and '.join(sync)}, which hands back the output all at once"
        else:
            why = "so its output never reached your code"
        return CheckResult(
            name,
            False,
            f"Your code never started the command as countErrors was given it "
            f"(spawn(command, args)): {why}. Read the {size} of its own stdout as it arrives.",
        )
    elsewhere = f" and got the count from {' and '.join(sync)}" if sync else ""
    if least == 0:
        return CheckResult(
            name,
            False,
            f"Your code started the command but read none of its {size} of output{elsewhere}: "
            "the count did not come from the stream. Count the lines of child.stdout.",
        )
    return CheckResult(
        name,
        False,
        f"Your code read only {size_text(least)} of the command's {size} of output in one "
        f"call ({percent_text(least / printed)}){elsewhere}: read child.stdout to its end.",
    )


def _streams(m: dict[str, Any], correct: CheckResult, reads: CheckResult) -> CheckResult:
    name = "streams_output"
    if not correct.passed:
        return skipped(name, correct)
    if not reads.passed:
        return CheckResult(
            name,
            False,
            "Not judged: your code did not read the command's output (`reads_the_stream`), so "
            "what it kept in memory says nothing about how it read.",
        )
    ratio = number_at(m, "retained_ratio")
    printed = number_at(m, "output_bytes")
    student = (m.get("variants") or {}).get("student") or {}
    kept = number_at(student, "retained_growth_bytes", "max")
    if ratio is None or kept is None or not printed:
        return CheckResult(name, False, "Not measured.")
    exec_kept = number_at(m, "variants", "exec_reference", "retained_growth_bytes", "max")
    exec_said = (
        ""
        if exec_kept is None
        else f"; the grader's exec solution kept {size_text(exec_kept)} "
        f"({percent_text(exec_kept / printed)})"
    )
    if ratio <= STREAMING_MAX_RETAINED_RATIO:
        return CheckResult(
            name,
            True,
            f"While reading {size_text(printed)} of output your code kept at most "
            f"{size_text(kept)} reachable ({percent_text(ratio)} of it){exec_said}.",
        )
    return CheckResult(
        name,
        False,
        f"Your code kept {size_text(kept)} of the {size_text(printed)} output reachable while "
        f"reading it ({percent_text(ratio)}){_how_kept(student, printed)}. Count the lines of "
        "each chunk as it arrives and keep only the unfinished last line.",
    )


def _how_kept(student: dict[str, Any], printed: float) -> str:
    """What the kept memory was, and when: in Buffers or strings, still whole at the end."""
    kept = number_at(student, "retained_growth_bytes", "max") or 0.0
    buffers = number_at(student, "retained_growth_array_buffer_bytes", "max") or 0.0
    form = "as the Buffer chunks themselves" if buffers >= kept / 2 else "as strings"
    at_end = number_at(student, "retained_at_output_end_bytes")
    api = str(student.get("api") or "")
    if "exec" in api.split("+") or "execFile" in api.split("+"):
        return f", {form}: exec and execFile gather the whole output before your callback runs"
    if at_end is not None and at_end >= STREAMING_MAX_RETAINED_RATIO * printed:
        return (
            f", {form}, all still held when the output ended: it gathered the output and "
            "processed it at the end"
        )
    return f", {form}"


def explain_spawn_vs_exec(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """A.D.A. quotes exec's time and retained memory next to the student's."""
    m = measurements
    if verdict not in ("passed", "failed") or m.get("problem") is not None:
        return []
    printed = number_at(m, "output_bytes")
    exec_ms = number_at(m, "variants", "exec_reference", "wall_ms", "median")
    exec_kept = number_at(m, "variants", "exec_reference", "retained_growth_bytes", "max")
    if not printed or not exec_ms or exec_kept is None:
        return []
    lines = [
        f"The command printed {size_text(printed)}. exec, given room for all of it, took "
        f"{duration_text(exec_ms)} and kept {size_text(exec_kept)} reachable at its peak "
        f"({percent_text(exec_kept / printed)} of the output)."
    ]
    student = (m.get("variants") or {}).get("student") or {}
    student_ms = number_at(student, "wall_ms", "median")
    kept = number_at(student, "retained_growth_bytes", "max")
    read = next((check for check in checks if check.name == "reads_the_stream"), None)
    read_it = read is not None and read.passed
    if student.get("correct") and read_it and student_ms is not None and kept is not None:
        api = student.get("api") or "your code"
        lines.append(
            f"Your {api} run took {duration_text(student_ms)} "
            f"({times_text(student_ms / exec_ms)} exec's time) and kept {size_text(kept)} "
            f"({percent_text(kept / printed)} of the output)."
        )
    return lines
