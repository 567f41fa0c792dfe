"""What a submission's measurements and code say went wrong: causes, evidence and advice.

A diagnosis names one cause, shows the numbers that point to it, says what to do in
complete sentences, and names the words of the course to read about it (the offline
engine finds the step that teaches them). Run-time measurements outrank a reading of the
source: a code fact is only used when nothing measured speaks to the same cause.
The rules for Unblock the Loop are in unblock_diagnoses.py; spawn-vs-exec's are here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from portal.ada.code_facts import CodeFacts
from portal.ada.numbers import mib_text, number_at
from portal.ada.thresholds import BUFFERING_CALLS, STREAMING_MAX_MEMORY_RATIO


class Cause(StrEnum):
    """The causes A.D.A. can diagnose."""

    WORKERS_ONE_AFTER_ANOTHER = "workers_one_after_another"
    ONE_WORKER_DID_ALL = "one_worker_did_all"
    WORK_ON_MAIN_THREAD = "work_on_main_thread"
    MAIN_THREAD_BLOCKED_WAITING = "main_thread_blocked_waiting"
    DUPLICATED_WORK = "duplicated_work"
    QUOTA_THROTTLED = "quota_throttled"
    HOST_BUSY = "host_busy"
    BUFFERING_CALL = "buffering_call"
    OUTPUT_KEPT_IN_MEMORY = "output_kept_in_memory"


@dataclass(frozen=True)
class Diagnosis:
    """One likely cause, the numbers behind it, and what to do about it."""

    cause: Cause
    summary: str  # the cause, in one sentence
    evidence: str  # the measurements (or code) that point to it, in sentences
    advice: str  # what to do, in complete sentences
    topic: str  # the course's words for it: the engine cites the step that teaches them

    def text(self) -> str:
        """The diagnosis as one paragraph of sentences."""
        return " ".join(part for part in (self.summary, self.evidence, self.advice) if part)


@dataclass(frozen=True)
class Evidence:
    """Everything the rules read: the verdict, the checks, the measurements, the code."""

    verdict: str | None
    checks: list[dict]
    measurements: dict[str, Any]
    code: CodeFacts

    @property
    def inconclusive(self) -> bool:
        """Whether the grader could not measure reliably (the verdict or any check)."""
        return self.verdict == "inconclusive" or any(
            check.get("inconclusive") is True for check in self.checks
        )


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
            Diagnosis(
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
    kept = ratio is not None and ratio > STREAMING_MAX_MEMORY_RATIO
    # Measured memory outranks the code: chunks kept in code that measured lean are fine.
    kept = kept or (ratio is None and evidence.code.keeps_output_chunks)
    if spawned and not buffering and kept:
        shown = (
            f"With `spawn` your process still kept {ratio:.0%} of the memory exec's buffering kept."
            if ratio is not None
            else "Your code collects the chunks of output (an array, a string or Buffer.concat)."
        )
        found.append(
            Diagnosis(
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


def memory_sentence(m: dict[str, Any]) -> str:
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
    """A size as the harness reports it: a spread's max, or a bare number."""
    spread = number_at(data, key, "max")
    return spread if spread is not None else number_at(data, key)
