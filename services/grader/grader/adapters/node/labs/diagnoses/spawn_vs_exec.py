"""Why a Spawn vs Exec submission kept the command's output: a buffering call, or chunks kept.

The memory measured outranks the code: chunks collected in code that measured lean are
fine, and the code is read only when no memory was measured.
"""

from __future__ import annotations

from typing import Any

from contract import Diagnosis
from grader.adapters.node.labs.diagnoses.evidence import Cause, Evidence, diagnosis
from grader.adapters.node.labs.spawn_vs_exec import BUFFERING_CALLS, STREAMING_MAX_RETAINED_RATIO
from grader.numbers import number_at


def diagnose_spawn_vs_exec(evidence: Evidence) -> list[Diagnosis]:
    """Spawn vs Exec: a buffering call, or spawn's output kept whole in memory."""
    m = evidence.measurements
    student = (m.get("variants") or {}).get("student") or {}
    student = student if isinstance(student, dict) else {}
    calls = str(student.get("api") or "").split("+")
    error = str(student.get("error") or "")
    found = []
    buffering = [call for call in calls if call in BUFFERING_CALLS]
    if buffering or "maxBuffer" in error:
        called = f"Your code called `{buffering[0]}`" if buffering else "Your run stopped"
        reason = f" and failed with “{error}”" if "maxBuffer" in error else ""
        found.append(
            diagnosis(
                Cause.BUFFERING_CALL,
                "A buffering call collected the command's whole output before your code saw it.",
                f"{called}{reason}.",
                "`exec` and `execFile` hand over the output only at the end and give up past "
                "`maxBuffer` (1 MiB by default). Run the command with `spawn` and count the "
                "lines as the chunks stream in.",
                "spawn exec buffer maxBuffer stream output",
            )
        )
    ratio = _memory_ratio(m)
    spawned = "spawn" in calls
    # exec keeps about the whole output, so the student's memory over exec's is close to
    # the share of the output kept, which is what the judge's streaming limit bounds.
    kept = ratio is not None and ratio > STREAMING_MAX_RETAINED_RATIO
    # Measured memory outranks the code: chunks kept in code that measured lean are fine.
    kept = kept or (ratio is None and evidence.code.keeps_output_chunks)
    if spawned and not buffering and kept:
        shown = (
            f"With `spawn` your process still kept {ratio:.0%} of the memory exec's buffering kept."
            if ratio is not None
            else "Your code collects the chunks of output (an array, a string or Buffer.concat)."
        )
        found.append(
            diagnosis(
                Cause.OUTPUT_KEPT_IN_MEMORY,
                "The output is kept in memory although it streams in.",
                shown,
                "Count the matching lines of each chunk as it arrives and keep only the count, "
                "not the chunks.",
                "spawn streams the child's output as chunks while it runs, big output",
            )
        )
    return found


def _memory_ratio(m: dict[str, Any]) -> float | None:
    """The student's memory over exec's: retained memory (reachable after a collection)
    when measured, else the peak growth of the process."""
    retained = number_at(m, "retained_ratio")  # retained growth over the output's size
    exec_retained = number_at(m, "exec_retained_ratio")
    if retained is not None and exec_retained:
        return retained / exec_retained
    if retained is not None:
        return retained  # exec keeps about the whole output: its ratio is near 1
    return number_at(m, "memory_ratio")
