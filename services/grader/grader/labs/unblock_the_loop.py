"""Unblock the loop: move a CPU-heavy job off the main thread, then split it over N workers.

The harness's driver (services/sandbox-image/labs/unblock-the-loop/, whose README.md states
the task and these rules for students) runs the same job four ways, repeated: blocking
on the main thread, through the student's solve(job, {workers: 1}), through
solve(job, {workers: N}) and through the grader's own split over N workers. The checks
compare ratios only, never milliseconds, so the same code gets the same verdict on a slow
host and a fast one:

- passing needs the right checksum, a worker thread, and a main thread that keeps at most
  RESPONSIVE_MAX_STALL_RATIO of the blocking run's stall (p99 event-loop delay) with one
  worker;
- full marks add N workers online at once and, with them, a speedup over the blocking run
  of at least MIN_EFFICIENCY of the ideal min(N, CPUs of the quota). Short of it, N workers
  that ran at once without doing the work twice still get the mark when the machine, not
  the code, held them back: the cgroup throttled the container, or they ran about as fast as the
  grader's own split over N workers timed right next to them (a host busy with other work
  slows both alike, so their ratio holds where the speedup does not).
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult, Limits
from grader.javascript import SourceFacts
from grader.labs import NOT_RUN, LabKind, skipped
from grader.labs.driven import export_check
from grader.labs.numbers import (
    cpus_text,
    duration_text,
    number_at,
    percent_text,
    times_text,
)
from grader.report import HarnessReport

RESPONSIVE_MAX_STALL_RATIO = 0.25  # one-worker p99 stall over the blocking run's stall
MIN_EFFICIENCY = 0.55  # measured speedup over the ideal one
THROTTLED_SHARE = 0.10  # share of CFS periods throttled for "the quota held it back"
MIN_SHARE_OF_REFERENCE = 0.7  # reference split's wall time over the student's, per repetition
DUPLICATED_WORK_CPU = 1.5  # N-worker CPU time over the blocking run's: work done twice
PROBLEM_SOLVE = ("load_error", "solve_missing")
PROBLEM_RESULT = ("wrong_result", "threw", "timeout")
CHECK_NAMES = (
    "exports_solve",
    "correct_result",
    "uses_worker",
    "keeps_loop_responsive",
    "splits_over_workers",
    "speeds_up",
)


def judge_unblock_the_loop(
    facts: SourceFacts, report: HarnessReport | None, config: dict[str, Any]
) -> list[CheckResult]:
    """The lab's checks, from the driver's measurements, in the order the README lists them."""
    if report is None or "problem" not in report.measurements:
        return [CheckResult(name, False, NOT_RUN) for name in CHECK_NAMES]
    m = report.measurements
    exported = _exports_solve(m)
    correct = _correct_result(m) if exported.passed else skipped("correct_result", exported)
    if not correct.passed:
        later = ("uses_worker", "keeps_loop_responsive", "splits_over_workers", "speeds_up")
        return [exported, correct, *(skipped(name, correct) for name in later)]
    return [
        exported,
        correct,
        _uses_worker(m),
        _keeps_loop_responsive(m),
        _splits_over_workers(m),
        _speeds_up(m),
    ]


def _exports_solve(m: dict[str, Any]) -> CheckResult:
    return export_check(
        m, "exports_solve", "solve", "solve_missing", "export async function solve(...)"
    )


def _correct_result(m: dict[str, Any]) -> CheckResult:
    problem, detail = m.get("problem"), m.get("problem_detail") or ""
    if problem == "wrong_result":
        return CheckResult(
            "correct_result",
            False,
            f"{detail}. Crunch every item from 0 to items-1 exactly once and combine the "
            "parts with combine().",
        )
    if problem == "threw":
        return CheckResult("correct_result", False, f"solve() failed: {detail}.")
    if problem == "timeout":
        return CheckResult(
            "correct_result",
            False,
            f"solve() {detail}: resolve its promise once every part is back.",
        )
    variants = m.get("variants") or {}
    runs = [variants.get(name) for name in ("one_worker", "n_workers")]
    if problem is not None or not all(isinstance(run, dict) for run in runs):
        return CheckResult("correct_result", False, "solve() could not be measured.")
    if not all(run.get("correct") for run in runs):
        return CheckResult("correct_result", False, "solve() returned a wrong checksum.")
    count = sum(int(run.get("runs") or 0) for run in runs)
    return CheckResult(
        "correct_result", True, f"solve() returned the right checksum in all {count} timed runs."
    )


def _uses_worker(m: dict[str, Any]) -> CheckResult:
    peak = number_at(m, "variants", "one_worker", "peak_workers")
    if peak is None:
        return CheckResult("uses_worker", False, "Not measured.")
    if peak >= 1:
        return CheckResult(
            "uses_worker", True, "A worker thread came online while solve() ran the job."
        )
    return CheckResult(
        "uses_worker",
        False,
        "No worker thread came online while solve() ran: the job ran on the main thread. "
        "Start a Worker and call crunch() inside it.",
    )


def _keeps_loop_responsive(m: dict[str, Any]) -> CheckResult:
    ratio = number_at(m, "loop_delay_p99_ratio", "one_worker")
    stall = number_at(m, "variants", "one_worker", "loop_delay_p99_ms", "median")
    blocked = number_at(m, "variants", "blocking", "loop_delay_p99_ms", "median")
    if ratio is None or stall is None or blocked is None:
        return CheckResult("keeps_loop_responsive", False, "Not measured.")
    if ratio <= RESPONSIVE_MAX_STALL_RATIO:
        return CheckResult(
            "keeps_loop_responsive",
            True,
            f"With one worker the main thread's longest stall (p99) was {duration_text(stall)}, "
            f"against {duration_text(blocked)} when the job blocked it "
            f"({percent_text(ratio)} of it).",
        )
    return CheckResult(
        "keeps_loop_responsive",
        False,
        f"While solve() ran with one worker, the main thread still stalled for "
        f"{duration_text(stall)} (p99), {percent_text(ratio)} of the {duration_text(blocked)} "
        "the blocking run stalled it: keep crunch() off the main thread, and never wait for "
        "a worker synchronously.",
    )


def _splits_over_workers(m: dict[str, Any]) -> CheckResult:
    workers = int(number_at(m, "workers") or 0)
    peak = number_at(m, "variants", "n_workers", "peak_workers")
    if peak is None or workers < 1:
        return CheckResult("splits_over_workers", False, "Not measured.")
    if peak >= workers:
        return CheckResult(
            "splits_over_workers",
            True,
            f"With workers: {workers}, {int(peak)} workers ran at once.",
        )
    return CheckResult(
        "splits_over_workers",
        False,
        f"With workers: {workers}, at most {int(peak)} worker ran at once: start `workers` "
        "workers together and give each its share of the items.",
    )


def _speeds_up(m: dict[str, Any]) -> CheckResult:
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    if speedup is None or not ideal:
        return CheckResult("speeds_up", False, "Not measured.")
    quota = _quota_text(m)
    peak = int(number_at(m, "variants", "n_workers", "peak_workers") or 0)
    if peak < workers:
        # Whatever the clock said (a busy host can slow the blocking run more than yours),
        # fewer workers than asked cannot be a parallel speedup.
        return CheckResult(
            "speeds_up",
            False,
            f"With workers: {workers}, at most {peak} worker ran at once, so nothing ran in "
            f"parallel; {quota} up to {times_text(ideal)} is possible.",
        )
    if speedup >= MIN_EFFICIENCY * ideal:
        return CheckResult(
            "speeds_up",
            True,
            f"{workers} workers finished {times_text(speedup)} faster than the main thread "
            f"alone; the ideal {quota} is {times_text(ideal)} "
            f"({percent_text(_efficiency(m, speedup, ideal))} efficiency).",
        )
    throttled = _throttled_share(m)
    if _quota_held_back(m, workers, throttled):
        return CheckResult(
            "speeds_up",
            True,
            f"{workers} workers finished {times_text(speedup)} as fast as the main thread "
            f"alone, short of the ideal {times_text(ideal)}, but the CPU quota throttled the "
            f"container in {percent_text(throttled)} of its scheduler periods: the quota, not "
            "your code, held the speedup back.",
        )
    if _machine_held_back(m, workers):
        reference = number_at(m, "reference_speedup", "median") or 0
        return CheckResult(
            "speeds_up",
            True,
            f"{workers} workers finished {times_text(speedup)} as fast as the main thread "
            f"alone, short of the ideal {times_text(ideal)}, but the grader's own split over "
            f"{workers} workers reached only {times_text(reference)} in the same runs: this "
            "machine was busy, and your code kept up with the grader's.",
        )
    hint = (
        "They used far more CPU time than the blocking run: does each worker do the whole job?"
        if _duplicated_work(m)
        else "Do the workers run at the same time, each on its own share of the items?"
    )
    return CheckResult(
        "speeds_up",
        False,
        f"{workers} workers finished {times_text(speedup)} as fast as the main thread alone; "
        f"{quota} up to {times_text(ideal)} is possible. {hint}",
    )


def _efficiency(m: dict[str, Any], speedup: float, ideal: float) -> float:
    """The harness's rounded efficiency, so every sentence quotes the same figure."""
    return number_at(m, "speedup", "efficiency") or speedup / ideal


def _quota_text(m: dict[str, Any]) -> str:
    cpus = number_at(m, "cpu_quota_cpus")
    return f"on a {cpus_text(cpus)} quota" if cpus else "without a CPU quota"


def _throttled_share(m: dict[str, Any]) -> float:
    periods = number_at(m, "variants", "n_workers", "throttling", "periods")
    throttled = number_at(m, "variants", "n_workers", "throttling", "throttled_periods")
    return throttled / periods if periods and throttled is not None else 0.0


def _duplicated_work(m: dict[str, Any]) -> bool:
    cpu = number_at(m, "variants", "n_workers", "cpu_ms", "median")
    blocking = number_at(m, "variants", "blocking", "cpu_ms", "median")
    return bool(cpu and blocking and cpu > DUPLICATED_WORK_CPU * blocking)


def _ran_split(m: dict[str, Any], workers: int) -> bool:
    """N workers online at once, and no more CPU time than the job needs."""
    peak = number_at(m, "variants", "n_workers", "peak_workers") or 0
    return peak >= workers and not _duplicated_work(m)


def _quota_held_back(m: dict[str, Any], workers: int, throttled: float) -> bool:
    return _ran_split(m, workers) and throttled >= THROTTLED_SHARE


def _machine_held_back(m: dict[str, Any], workers: int) -> bool:
    keeping_up = number_at(m, "n_workers_vs_reference", "median")
    return (
        _ran_split(m, workers) and keeping_up is not None and keeping_up >= MIN_SHARE_OF_REFERENCE
    )


def explain_unblock_the_loop(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """A.D.A. quotes the stalls, the speedup and the throttling behind the verdict."""
    m = measurements
    if verdict not in ("passed", "failed") or m.get("problem") is not None:
        return []
    lines = []
    blocked = number_at(m, "variants", "blocking", "loop_delay_p99_ms", "median")
    one = number_at(m, "variants", "one_worker", "loop_delay_p99_ms", "median")
    many = number_at(m, "variants", "n_workers", "loop_delay_p99_ms", "median")
    workers = int(number_at(m, "workers") or 0)
    repeats = int(number_at(m, "repeats") or 0)
    if blocked is not None and one is not None and many is not None:
        lines.append(
            f"Measured {_times_each(repeats)} {_quota_text(m)}: run on the main thread, the job "
            f"stalled the event loop for {duration_text(blocked)}; your solve()'s longest "
            f"stall (p99) was {duration_text(one)} with workers: 1 and {duration_text(many)} "
            f"with workers: {workers}."
        )
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    low, high = number_at(m, "speedup", "min"), number_at(m, "speedup", "max")
    if speedup and ideal:
        spread = f" (from {times_text(low)} to {times_text(high)})" if low and high else ""
        pace = (
            f"ran {times_text(speedup)} faster than"
            if speedup >= 1
            else f"took {times_text(1 / speedup)} as long as"
        )
        efficiency = _efficiency(m, speedup, ideal)
        lines.append(
            f"With workers: {workers}, your solve() {pace} the main thread alone{spread}, "
            f"{_quota_text(m)}: {percent_text(efficiency)} efficiency against the ideal "
            f"{times_text(ideal)}."
        )
        if (number_at(m, "variants", "n_workers", "peak_workers") or 0) >= 1:
            lines.extend(_limits_sentence(m, workers, speedup, efficiency))
    return lines


def _times_each(repeats: int) -> str:
    return "once each" if repeats == 1 else f"{repeats} times each"


def _limits_sentence(
    m: dict[str, Any], workers: int, speedup: float, efficiency: float
) -> list[str]:
    """What held the speedup back: the quota's throttling, a busy machine, or the code."""
    throttled = number_at(m, "variants", "n_workers", "throttling", "throttled_periods")
    periods = number_at(m, "variants", "n_workers", "throttling", "periods")
    throttled_ms = number_at(m, "variants", "n_workers", "throttling", "throttled_ms")
    reference = number_at(m, "reference_speedup", "median")
    if throttled is None or not periods:
        return []
    if throttled == 0:
        if efficiency >= 0.9:
            return []
        if reference is not None and _machine_held_back(m, workers):
            return [
                "The CPU quota never throttled the container; the grader's own split over "
                f"{workers} workers, timed alongside, reached {times_text(reference)}: the rest "
                "of the gap is the machine's (starting workers, other work on its CPUs)."
            ]
        return [
            "The CPU quota never throttled the container while they ran, so the gap to the "
            "ideal is the code's: starting workers, uneven shares, waiting."
            + (
                f" The grader's own split reached {times_text(reference)} in the same runs."
                if reference is not None
                else ""
            )
        ]
    held_back = _quota_held_back(m, workers, throttled / periods) and efficiency < 0.9
    verdict = ": the quota, not your code, limited the speedup." if held_back else "."
    return [
        f"The CPU quota throttled the container in {int(throttled)} of {int(periods)} "
        f"scheduler periods ({duration_text(throttled_ms or 0)}) while your {workers} workers "
        f"ran{verdict}"
    ]


UNBLOCK_THE_LOOP = LabKind(
    name="unblock-the-loop",
    default_limits=Limits(
        wall_seconds=25.0, memory_mib=512, cpus=2.0, pids=128, output_bytes=1024 * 1024
    ),
    goal=None,
    stop_after_goal_ms=None,
    judge=judge_unblock_the_loop,
    explain=explain_unblock_the_loop,
    bonus_checks=frozenset({"splits_over_workers", "speeds_up"}),
    pass_score=0.6,
)
