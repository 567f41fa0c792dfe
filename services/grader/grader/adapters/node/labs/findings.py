"""The key measurements of a submission, as sentences A.D.A. may quote when a student asks.

They go to the portal in GradeResult.findings, so the portal quotes numbers without knowing
which lab measured them. Any number may be missing or null (a run that failed part way):
a sentence whose numbers are missing is left out, never said with a gap.
"""

from __future__ import annotations

from typing import Any

from grader.numbers import duration_text, median_at, mib_text, number_at


def unblock_the_loop_findings(m: dict[str, Any]) -> list[str]:
    """The speedup against the ideal, and the main thread's longest stall with and without
    workers."""
    found: list[str] = []
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    cpus = number_at(m, "cpu_quota_cpus")
    blocked = median_at(m, "variants", "blocking", "loop_delay_p99_ms")
    one = median_at(m, "variants", "one_worker", "loop_delay_p99_ms")
    many = median_at(m, "variants", "n_workers", "loop_delay_p99_ms")
    if speedup is not None and ideal:
        efficiency = number_at(m, "speedup", "efficiency") or speedup / ideal
        quota = f" on a {cpus:g}-CPU quota" if cpus else ""
        found.append(
            f"With `workers: {workers}`, your solve() ran {speedup:.2f}x as fast as the main "
            f"thread alone; the ideal{quota} is {ideal:.2f}x ({efficiency:.0%} efficiency)."
        )
    if blocked is not None and (one is not None or many is not None):
        worst = max(value for value in (one, many) if value is not None)
        found.append(
            f"The main thread's longest stall (p99 event-loop delay) was "
            f"{duration_text(blocked)} when the job blocked it, and {duration_text(worst)} "
            "with your workers."
        )
    return found


def spawn_vs_exec_findings(m: dict[str, Any]) -> list[str]:
    """Which child_process calls the code made, and the memory it kept against exec's."""
    found: list[str] = []
    student = (m.get("variants") or {}).get("student") or {}
    api = str(student.get("api") or "") if isinstance(student, dict) else ""
    if api:
        calls = " and ".join(f"`{call}`" for call in api.split("+") if call)
        found.append(f"Your code called {calls} from `child_process`.")
    memory = _memory_sentence(m)
    if memory:
        found.append(memory)
    return found


def _memory_sentence(m: dict[str, Any]) -> str:
    """How much the student's process kept or grew against exec's, when both are measured."""
    variants = m.get("variants") if isinstance(m.get("variants"), dict) else {}
    student = variants.get("student") if isinstance(variants.get("student"), dict) else {}
    reference = variants.get("exec_reference")
    reference = reference if isinstance(reference, dict) else {}
    printed = number_at(m, "output_bytes")
    output = f" reading {mib_text(printed)} of output" if printed else ""
    for key, what in (("retained_growth_bytes", "kept"), ("peak_rss_growth_bytes", "grew by")):
        grew = _largest(student, key)
        exec_grew = _largest(reference, key)
        if grew is not None and exec_grew:
            return (
                f"Your process {what} {mib_text(grew)}{output}; exec's buffering {what} "
                f"{mib_text(exec_grew)} in the grader's run ({grew / exec_grew:.0%} of it)."
            )
    return ""


def _largest(data: dict[str, Any], key: str) -> float | None:
    """A size as the harness reports it: a spread's max, or a bare number (older results)."""
    spread = number_at(data, key, "max")
    return spread if spread is not None else number_at(data, key)
