"""What every diagnosis rule reads, and the causes it can name.

The causes' values are stable identifiers that cross to the portal in GradeResult
(`Diagnosis.cause`); the portal's offline engine keys what it says by them, so a value is
never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contract import CheckResult, Diagnosis
from grader.adapters.node.labs.diagnoses.code_facts import CodeFacts


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


def diagnosis(cause: Cause, summary: str, evidence: str, advice: str, topic: str) -> Diagnosis:
    """The contract's Diagnosis of `cause`, whose identifier travels as a plain string."""
    return Diagnosis(cause.value, summary, evidence, advice, topic)


@dataclass(frozen=True)
class Evidence:
    """Everything the rules read: the verdict, the checks, the measurements, the code."""

    verdict: str
    checks: list[CheckResult]
    measurements: dict[str, Any]
    code: CodeFacts

    @property
    def inconclusive(self) -> bool:
        """Whether the grader could not measure reliably (the verdict or any check)."""
        return self.verdict == "inconclusive" or any(check.inconclusive for check in self.checks)
