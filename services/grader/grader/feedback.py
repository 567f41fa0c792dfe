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
    "process_limit_exceeded": "Your program started too many processes.",
    "output_limit": "Your program printed too much.",
    "infra_error": "My apologies: the simulation failed on our side.",
    "inconclusive": "The measurements were too noisy to judge.",
}


def compose_feedback(
    verdict: Verdict,
    checks: list[CheckResult],
    insights: Sequence[str] = (),
    score: float | None = None,
) -> str:
    """A.D.A.'s feedback for a verdict, its checks and the lab's numbers (`insights`).

    The headline is the verdict's reason, which counts the checks the student sees; a pass
    with partial marks also states its `score`, the same number the portal shows.
    """
    # No "A.D.A.:" prefix: every page shows this text under its own "A.D.A. says" heading.
    lines = [f"{OPENINGS[verdict.name]} {headline_reason(verdict, score)}"]
    if verdict.name == "infra_error":
        return "\n".join(lines)
    first_failure = first_to_fix(checks)
    if verdict.name == "passed":
        lines.extend(insights)
        if first_failure is not None:
            lines.append(f"For full marks: {first_failure.message}")
    else:
        if first_failure is not None:
            lines.append(f"Start here: {first_failure.message}")
        lines.extend(insights)
    return "\n".join(lines)


# The runner's own checks, in the order a student must fix them before any other: code that
# does not parse never ran, and a run that did not end (an endless loop stopped at the time
# limit, a crash, memory) leaves every later measurement meaningless. Every lab reports
# them, whatever its language; the lab's own checks follow in the order the lab lists them.
FIX_FIRST = ("parses", "exits_cleanly")


def first_to_fix(checks: Sequence[CheckResult]) -> CheckResult | None:
    """The failed check a student should fix first ("Start here"), or None if all held."""
    failed = [check for check in checks if not check.passed]
    rank = {name: place for place, name in enumerate(FIX_FIRST)}
    return min(failed, key=lambda check: rank.get(check.name, len(FIX_FIRST)), default=None)


def headline_reason(verdict: Verdict, score: float | None) -> str:
    """The verdict's reason, led by "Passed with 60%" when a pass did not earn full marks."""
    if verdict.name != "passed" or score is None or score >= 1:
        return verdict.reason
    reason = verdict.reason[:1].lower() + verdict.reason[1:]
    return f"Passed with {round(score * 100)}%: {reason}"
