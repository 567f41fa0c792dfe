"""What a lab kind is: the runner's interface to one kind of lab, in any language.

A lab kind is how one kind of lab is graded: its default limits, what the harness should
watch for, the checks that turn the source's facts and the run's report into a verdict,
how the checks make a score, the sentences in which A.D.A. quotes the measured numbers, and
what the portal shows of them (findings, diagnoses, charts: `Analysis`), so that the portal
needs to know nothing of the lab. Content names a kind (`kind: thread-lab`); the grader
refuses kinds its adapter does not know. The kinds themselves belong to a language's
adapter (Node's: grader/adapters/node/labs/kinds.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract import Chart, CheckResult, Diagnosis, Limits
from grader.report import HarnessReport
from grader.verdict import Verdict, score_of

NOT_RUN = "Not checked: your code did not run to completion."
# The judges' config holds the lab's check settings and, under this key, the OCI runtime the
# sandbox ran under (grader.pipeline): under runsc gVisor's CPU clocks count coarser and grow
# with the host's load, which a check that reads them must allow for.
RUNTIME_SETTING = "sandbox_runtime"


def skipped(name: str, cause: CheckResult) -> CheckResult:
    """Check `name` could not be measured because the earlier check `cause` failed."""
    return CheckResult(name, False, f"Not measured: fix `{cause.name}` first.")


def outcome_of(check: CheckResult) -> str:
    """held, did_not_hold, or not_judged (measured on a host too noisy to tell)."""
    if check.inconclusive:
        return "not_judged"
    return "held" if check.passed else "did_not_hold"


# (the adapter's source facts, the report or None, the lab's check_config) -> checks.
Judge = Callable[[Any, HarnessReport | None, dict[str, Any]], list[CheckResult]]
# (verdict name, GradeResult.measurements, checks) -> A.D.A.'s sentences about the numbers.
Explain = Callable[[str, dict[str, Any], list[CheckResult]], list[str]]


def no_explanation(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """For a lab that measures nothing worth quoting."""
    return []


@dataclass(frozen=True)
class Analysis:
    """What the portal shows of a graded submission, worked out by the grader that knows the lab."""

    findings: tuple[str, ...] = ()  # the key measurements, as sentences A.D.A. may quote
    diagnoses: tuple[Diagnosis, ...] = ()  # likely causes of a shortfall, most telling first
    charts: tuple[Chart, ...] = ()  # panels of the measured numbers


# (verdict name, checks, GradeResult.measurements with "judged", the entrypoint's source)
# -> what the portal shows.
Analyse = Callable[[str, list[CheckResult], dict[str, Any], str], Analysis]


def no_analysis(
    verdict: str, checks: list[CheckResult], measurements: dict[str, Any], source: str
) -> Analysis:
    """For a lab with nothing measured to show or diagnose."""
    return Analysis()


# A report's measurements -> the few a Run shows (grader.trial_measurements), by name.
RunMeasurements = Callable[[dict[str, Any]], dict[str, dict[str, Any] | None]]


def no_run_measurements(measurements: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """For a lab whose Run shows its wall time only."""
    return {}


@dataclass(frozen=True)
class LabKind:
    """How to grade one kind of lab."""

    name: str  # e.g. "thread-lab"
    default_limits: Limits  # used by the CLI; a request brings its own
    goal: str | None  # what the harness watches for, e.g. "message_crossed"
    stop_after_goal_ms: int | None  # grace before stopping a program that reached its goal
    judge: Judge  # facts + report -> checks, in the order the student sees them
    explain: Explain = no_explanation  # A.D.A. quoting the measurements, in the feedback
    analyse: Analyse = no_analysis  # findings, diagnoses and charts for the portal to show
    bonus_checks: frozenset[str] = frozenset()  # raise the score; never decide the verdict
    pass_score: float = 1.0  # score of a pass that holds none of the bonus checks
    # Measured quantity (a dotted path into `measurements`, e.g. "speedup") -> the check
    # that judges it (`measurements.judged`); a chart bar of the quantity carries that check's
    # outcome, and a version-1 portal colours its own chart from `judged`.
    judged_quantities: tuple[tuple[str, str], ...] = ()
    # Judges a speedup from wall-clock times: runs holding one of the host's CPU slots.
    times_speedup: bool = False
    run_measurements: RunMeasurements = no_run_measurements  # what a Run shows beside wall time

    def required(self, checks: list[CheckResult]) -> list[CheckResult]:
        """The checks that decide the verdict: all but the bonus ones."""
        return [check for check in checks if check.name not in self.bonus_checks]

    def judgements(self, checks: list[CheckResult]) -> dict[str, dict[str, str]]:
        """`measurements.judged`: for each judged quantity, its check and that check's outcome
        (held, did_not_hold, not_judged); a quantity whose check did not run is left out."""
        by_name = {check.name: check for check in checks}
        judged = {}
        for quantity, name in self.judged_quantities:
            check = by_name.get(name)
            if check is not None:
                judged[quantity] = {"check": name, "outcome": outcome_of(check)}
        return judged

    def score(self, verdict: Verdict, checks: list[CheckResult]) -> float:
        """A pass scores pass_score plus its share of bonus checks held, up to 1; anything
        else scores its share of required checks held, scaled below pass_score."""
        if not self.bonus_checks:
            return score_of(verdict, checks)
        if verdict.name != "passed":
            return round(score_of(verdict, self.required(checks)) * self.pass_score, 2)
        bonus = [check for check in checks if check.name in self.bonus_checks]
        held = sum(check.passed for check in bonus) / len(bonus) if bonus else 1.0
        return round(self.pass_score + (1 - self.pass_score) * held, 2)
