"""A.D.A.'s words: the feedback a student reads beside the checks.

A.D.A. is the course's expert persona. She states the verdict's reason, then points at
the first thing to fix (a hint, never the answer), or congratulates and says what the
run showed.
"""

from __future__ import annotations

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
}


def compose_feedback(verdict: Verdict, checks: list[CheckResult]) -> str:
    """A.D.A.'s feedback for a verdict and its checks."""
    lines = [f"A.D.A.: {OPENINGS[verdict.name]} {verdict.reason}"]
    if verdict.name == "passed":
        lines.extend(check.message for check in checks if check.name == "message_crossed")
        lines.append("Your worker thread ran beside the main thread, and they talked.")
    elif verdict.name != "infra_error":
        first_failure = next((check for check in checks if not check.passed), None)
        if first_failure is not None:
            lines.append(f"Start here: {first_failure.message}")
    return "\n".join(lines)
