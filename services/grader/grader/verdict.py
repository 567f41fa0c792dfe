"""Decide a run's verdict from what the Engine and the harness saw.

The order matters: a limit that stopped the program explains every check that failed
after it, so limits win over the lab's checks, and our own failures (`infra_error`)
win over everything because they are never the student's fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract import CheckResult, Limits
from grader.report import HarnessReport
from grader.sandbox import SandboxRun


@dataclass(frozen=True)
class HeapLimit:
    """How a language's runtime says its own heap ran out before the container's limit did.

    Given by the language's adapter: saying such a program used the whole memory limit
    would be false.
    """

    marker: str  # text in the report's error_line, e.g. "JavaScript heap out of memory"
    reason: str  # the verdict's sentence; {limit} becomes the memory limit, e.g. "256 MiB"


@dataclass(frozen=True)
class Verdict:
    """A verdict and the one sentence that explains it."""

    name: str  # one of contract.VERDICTS
    reason: str  # quoted to the student by A.D.A.
    gradable: bool = True  # False: ours, the attempt does not count


def decide_verdict(
    run: SandboxRun,
    report: HarnessReport | None,
    checks: list[CheckResult],
    limits: Limits,
    required: list[CheckResult] | None = None,
    heap_limit: HeapLimit | None = None,
) -> Verdict:
    """The verdict of one run; `report` is None when the harness left none to trust.

    `required` are the checks that decide pass or fail (default: all of `checks`). A check
    that is inconclusive (the host was noisier than the effect it measures) never becomes a
    pass or a fail: unless a required check failed for sure, the verdict is `inconclusive`,
    which does not count against the student and is measured again. `heap_limit` is the
    language's own out-of-heap message, when its runtime has one (the adapter's).
    """
    required = checks if required is None else required
    if run.outer_timeout and _forks_refused(run):
        # Under runsc a fork bomb can leave the sandbox hung once the host refused the
        # Sentry's forks, until the grader's own timeout: the limit it hit is the cause.
        return _process_limit(limits)
    if run.outer_timeout:
        return Verdict(
            "timeout", f"Stopped after {limits.wall_seconds:.1f} s of wall time: it never ended."
        )
    if report is None:
        return _without_report(run, limits)
    if report.status == "harness_error":
        return Verdict(
            "infra_error",
            "The grader itself failed on this run; it does not count against you.",
            gradable=False,
        )
    if report.syntax_error is not None:
        problem = report.syntax_error
        where = f"line {problem.line}" if problem.line else "your code"
        return Verdict("error", f"Your code does not parse: {problem.message} ({where}).")
    if report.oom_kills > 0 or _oom_killed(run):
        return _memory_exceeded(limits, report, heap_limit)
    crashed = report.status == "exited" and (report.exit_code != 0 or report.signal)
    at_limit = report.tasks_at_stop is not None and report.tasks_at_stop.at_limit
    if (report.status == "timeout" or crashed) and (_forks_refused(run) or at_limit):
        # A fork bomb spins at the process limit until the wall time (or dies of it): the
        # limit it hit explains the ending better than the clock or the crash does. Under
        # runsc the limit is RLIMIT_NPROC inside gVisor, which the host never sees refuse a
        # fork: there the harness's count of tasks at the wall timeout says it.
        return _process_limit(limits)
    if report.status == "timeout":
        return Verdict("timeout", f"Stopped after {limits.wall_seconds:.1f} s of wall time.")
    if report.status == "output_limit":
        return Verdict(
            "output_limit",
            f"Stopped after printing more than {_size(limits.output_bytes)} of output "
            f"(the limit is {_size(limits.output_bytes)}).",
        )
    if crashed:
        what = report.error_line or (
            f"signal {report.signal}" if report.signal else f"exit code {report.exit_code}"
        )
        return Verdict("error", f"Your program crashed: {what}.")
    failed = [check for check in required if not check.passed and not check.inconclusive]
    if failed:
        return Verdict("failed", _failed_reason(failed, required, checks))
    unsure = [check for check in checks if check.inconclusive]
    if unsure:
        names = ", ".join(check.name for check in unsure)
        return Verdict(
            "inconclusive",
            f"This machine was too busy to measure {names} reliably; "
            "this attempt does not count and is measured again.",
            gradable=False,
        )
    return Verdict("passed", _passed_reason(required, checks))


def _passed_reason(required: list[CheckResult], checks: list[CheckResult]) -> str:
    """Counts every check the student sees: the required ones and the bonus ones apart."""
    bonus = _bonus(required, checks)
    missed = [check for check in bonus if not check.passed]
    if not missed:
        return f"All {len(checks)} checks hold."
    names = ", ".join(check.name for check in missed)
    if len(missed) == len(bonus):
        missed_text = _count(len(bonus), "bonus check")
        return f"The {len(required)} required checks hold; {missed_text} did not: {names}."
    return (
        f"The {len(required)} required checks hold; "
        f"{len(missed)} of {len(bonus)} bonus checks did not: {names}."
    )


def _failed_reason(
    failed: list[CheckResult], required: list[CheckResult], checks: list[CheckResult]
) -> str:
    # A check too noisy to judge did not fail: it is named apart, never counted as failed.
    unsure = sum(check.inconclusive for check in checks)
    not_judged = f" {_count(unsure, 'check')} could not be judged (too noisy)." if unsure else ""
    if len(required) == len(checks):
        return f"{len(failed)} of {len(checks)} checks did not hold.{not_judged}"
    missed_bonus = sum(
        not check.passed and not check.inconclusive for check in _bonus(required, checks)
    )
    return (
        f"{len(failed)} of the {len(required)} required checks did not hold "
        f"({len(failed) + missed_bonus} of all {len(checks)} checks did not).{not_judged}"
    )


def _bonus(required: list[CheckResult], checks: list[CheckResult]) -> list[CheckResult]:
    names = {check.name for check in required}
    return [check for check in checks if check.name not in names]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


# Verdicts that score 0 whatever checks held: ours (infra_error), and a program that did not
# finish within the time limit, whose few checks that held (it parses, it imports a module)
# would otherwise read as partial credit for a run that never ended (issue 14: 12% for an
# endless loop), or that a fork bomb ended at the process limit.
SCORES_NOTHING = ("infra_error", "timeout", "process_limit_exceeded")


def score_of(verdict: Verdict, checks: list[CheckResult]) -> float:
    """Share of checks that hold; only a passed run scores 1, and a run stopped at the time
    limit (or failed on our side) scores 0."""
    if verdict.name == "passed":
        return 1.0
    if not checks or verdict.name in SCORES_NOTHING:
        return 0.0
    held = sum(check.passed for check in checks)
    return round(min(held / len(checks), 0.99), 2)


def _without_report(run: SandboxRun, limits: Limits) -> Verdict:
    """A sandbox that died without a report: what its host cgroup and the Engine saw say
    why. Under runsc an OOM in any process, or a fork bomb that exhausts the Sentry's host
    tasks, ends the whole sandbox (exit 2, nothing printed): the student's doing, never ours."""
    if _oom_killed(run):
        return _memory_exceeded(limits, None, None)
    if _forks_refused(run):
        return _process_limit(limits)
    if run.exit_code == 0:
        # The harness ended normally yet printed no valid report: that is our bug.
        return Verdict(
            "infra_error",
            "The grader could not read its own report; this attempt does not count.",
            gradable=False,
        )
    return Verdict(
        "error",
        "The sandbox stopped before the grader could report: your program ended the "
        f"grader's harness (exit status {run.exit_code}).",
    )


def _oom_killed(run: SandboxRun) -> bool:
    """The Engine's State.OOMKilled, or the host cgroup's own OOM-kill count."""
    return run.oom_killed or (run.usage.oom_kills or 0) > 0


def _forks_refused(run: SandboxRun) -> bool:
    """Whether the kernel refused a fork or a thread at the container's pids limit."""
    return (run.usage.forks_refused or 0) > 0


def _process_limit(limits: Limits) -> Verdict:
    return Verdict(
        "process_limit_exceeded",
        "Stopped: your program started more processes and threads than the sandbox allows "
        f"(at most {limits.pids}). Look for code that starts processes or workers in a loop "
        "that never ends.",
    )


def _memory_exceeded(
    limits: Limits, report: HarnessReport | None, heap_limit: HeapLimit | None
) -> Verdict:
    limit = f"{limits.memory_mib} MiB"
    if (
        report is not None
        and heap_limit is not None
        and heap_limit.marker in (report.error_line or "")
    ):
        # The runtime gave up on its own heap before the container's limit was reached.
        return Verdict("memory_exceeded", heap_limit.reason.format(limit=limit))
    # The kernel OOM-kills only when the container's usage has reached its limit, so the
    # measured usage is the limit itself.
    return Verdict("memory_exceeded", f"Stopped after it used {limit} of {limit} of memory.")


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    return f"{count / 1024:.0f} KiB"
