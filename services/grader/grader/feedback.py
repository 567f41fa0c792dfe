"""A.D.A.'s words: the feedback a student reads beside the checks.

A.D.A. is the course's expert persona. She states the verdict's reason, then points at
the first thing to fix (a hint, never the answer), or congratulates, and then says what
the run showed: the lab kind's sentences that quote the measured numbers ("your main
thread stalled for 598 ms; with one worker the longest stall was 0.7 ms"). A pass that
missed a bonus check (partial marks) also says what full marks need.
"""

from __future__ import annotations

from collections.abc import Sequence

from contract import CheckResult
from grader.verdict import Verdict

OPENINGS = {
    "passed": "Simulation complete.",
    "failed": "Close, but not there yet.",
    "error": "Your code did not make it through.",
    "timeout": "Your program ran out of time.",
    "memory_exceeded": "Your program ran out of memory.",
    "output_limit": "Your program printed too much.",
    "infra_error": "My apologies: the simulation failed on our side.",
    "inconclusive": "The measurements were too noisy to judge.",
}


def compose_feedback(
    verdict: Verdict, checks: list[CheckResult], insights: Sequence[str] = ()
) -> str:
    """A.D.A.'s feedback for a verdict, its checks and the lab's numbers (`insights`)."""
    lines = [f"A.D.A.: {OPENINGS[verdict.name]} {verdict.reason}"]
    if verdict.name == "infra_error":
        return "\n".join(lines)
    first_failure = next((check for check in checks if not check.passed), None)
    if verdict.name == "passed":
        lines.extend(insights)
        if first_failure is not None:
            lines.append(f"For full marks: {first_failure.message}")
    else:
        if first_failure is not None:
            lines.append(f"Start here: {first_failure.message}")
        lines.extend(insights)
    return "\n".join(lines)
