"""Unblock the loop: move a CPU-heavy job off the main thread, then split it over N workers.

The harness's driver (services/sandbox-image/labs/unblock-the-loop/, whose README.md states
the task and these rules for students) runs the same job four ways, repeated: blocking
on the main thread, through the student's solve(job, {workers: 1}), through
solve(job, {workers: N}) and through the grader's own split over N workers. For each run
it measures where the work ran (each thread's CPU time) as well as the clocks. The checks
compare ratios only, never milliseconds, so the same code gets the same verdict on a slow
host and a fast one, and they judge what ran, not what was started:

- passing needs the right checksum; worker threads that did the job's CPU work while the
  main thread did little of it beyond what the grader's own split spent there (starting
  and measuring workers costs every main thread some CPU, far more on a busy host:
  `uses_worker`); and a main thread that keeps at most
  RESPONSIVE_MAX_STALL_RATIO of the blocking run's stall with one worker;
- `splits_over_workers` needs N threads that each did a share of the work;
- `speeds_up` is not held on evidence a busy host cannot fake (fewer than N busy threads,
  one thread doing nearly all of it, work done twice, threads that worked one after
  another, or runs that trailed the grader's own split in every repetition while that
  split showed the speedup); held when the speedup reaches MIN_EFFICIENCY of the ideal or
  keeps up with the grader's own split timed beside it while that split shows a parallel
  speedup; otherwise inconclusive: the host was too busy to tell, and it is measured again.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult
from grader.adapters.node.javascript import SourceFacts
from grader.adapters.node.labs.driven import export_check
from grader.lab_kind import NOT_RUN, skipped
from grader.numbers import (
    cpus_text,
    duration_text,
    number_at,
    percent_text,
    times_text,
)
from grader.report import HarnessReport
from grader.speedup import Reference, SpeedupCall, call_speedup

RESPONSIVE_MAX_STALL_RATIO = 0.25  # one-worker p99 stall over the blocking run's stall
# Where the work ran, as shares of the blocking run's CPU time (the job's cost right now).
# The main thread's CPU is counted beyond what the grader's own split spent on its main
# thread in the same repetitions (main_thread_job_cpu): starting workers, receiving their
# messages and sampling the threads cost 5-20% of the job on a quiet host and up to 25% on
# one loaded 6x over its cores, where an honest one-worker run measured 37% in all.
MAIN_THREAD_MAX_SHARE = 0.3  # workers: 1
MAIN_THREAD_MAX_SHARE_N = 0.4  # workers: N
WORKER_THREADS_MIN_SHARE = 0.6  # fresh workers run cold code: 1.0-1.5 of it when honest
MIN_EFFICIENCY = 0.55  # measured speedup over the ideal one
NEARLY_ALL_WORK = 0.8  # busiest thread's share of the worker threads' CPU time
DUPLICATED_WORK_CPU = 1.4  # N workers' CPU time over the grader's own split's
# ... over the blocking run's, for runs without the split's (diagnoses of older results only)
DUPLICATED_WORK_CPU_OLD = 1.5
THROTTLED_SHARE = 0.10  # share of CFS periods throttled: "the quota held it back" (diagnoses)
# Concurrency below 1 + this x (N - 1): one after another. Workers started together and
# awaited together measured 1.34-2.0 on a loaded 2-core host (a late worker's start shortens
# the overlap), those awaited one by one 0.98-1.0.
SEQUENTIAL_CONCURRENCY = 0.2
KEEPS_UP_WITH_REFERENCE = 0.8  # reference split's wall time over the student's (median)
TRAILS_REFERENCE = 0.7  # ... below this in every repetition: the code's, not the host's
# `job.clock` where the driver sized the job on the main thread's own stat ticks (gVisor).
TICK_SIZED_CLOCK = "main_thread"
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


def main_thread_job_cpu(m: dict[str, Any], variant: str) -> float | None:
    """The main thread's CPU time during `variant` beyond the grader's own split's (medians).

    Every main thread that starts workers pays for it, and for the driver's sampling of the
    threads, and a busy host makes both dearer; the grader's own split, which does nothing
    else on its main thread, was measured in the same repetitions. Without that split's
    figure (older images), the whole main thread's time counts.
    """
    main = number_at(m, "variants", variant, "main_thread_cpu_ms", "median")
    if main is None:
        return None
    overhead = number_at(m, "variants", "reference_workers", "main_thread_cpu_ms", "median")
    return max(0.0, main - (overhead or 0.0))


def job_cpu_floor(m: dict[str, Any]) -> float | None:
    """The least the job can have cost on one thread: what a lack of work is measured against.

    Under runc that is the blocking run's CPU time (nanosecond clocks a busy host does not
    inflate). gVisor charges a thread a 10 ms tick whenever its ticker finds it running,
    waiting for a CPU included, so on a loaded host a thread's CPU time drifts toward its
    wall time, one run more than the next: at a load of 14 the blocking run read 1.95 s for
    a job sized at 1.00 s, and the honest worker of the run beside it 1.01 s. Ticks inflate
    and never deflate, so where the job was sized on the main thread's ticks (the fastest of
    three calibration calls, `measurements.job`), the smaller of the two is the floor.
    """
    blocking = number_at(m, "variants", "blocking", "cpu_ms", "median")
    sized = number_at(m, "job", "cpu_ms")
    job = m.get("job")
    if blocking and sized and isinstance(job, dict) and job.get("clock") == TICK_SIZED_CLOCK:
        return min(blocking, sized)
    return blocking


def tick_margin(m: dict[str, Any], threads: int) -> float:
    """How far a clock that ticks may undercount `threads` threads' CPU time (0 for ns).

    Each thread's figure is the difference of two readings, each up to one tick short.
    """
    return (number_at(m, "thread_cpu", "precision_ms") or 0.0) * threads


def _uses_worker(m: dict[str, Any]) -> CheckResult:
    """Held when worker threads did the job's CPU work and the main thread little of it.

    With a thread clock that ticks (gVisor), a figure within a few ticks of its threshold
    cannot decide: the check is then inconclusive, never passed or failed by the ticks. So
    is one between the worker threads' lines against the blocking run's CPU time and against
    the job's floor (job_cpu_floor), where the load inflated the blocking run's ticks: too
    few to hold, enough that no thread can be said to have skipped the work. The main thread
    stays judged against the blocking run: a busy host inflates its cost of starting workers
    alike (an honest split's, 420 ms beyond the grader's split's, beside a 2.39 s blocking
    run of a 1.00 s job).
    """
    job = number_at(m, "variants", "blocking", "cpu_ms", "median")
    floor = job_cpu_floor(m)
    if not job or not floor:
        return CheckResult("uses_worker", False, "Not measured.")
    workers = int(number_at(m, "workers") or 0)
    limits = (
        ("one_worker", 1, MAIN_THREAD_MAX_SHARE),
        ("n_workers", workers, MAIN_THREAD_MAX_SHARE_N),
    )
    too_close, inflated = [], []
    for variant, asked, limit in limits:
        main = main_thread_job_cpu(m, variant)
        work = number_at(m, "variants", variant, "worker_threads_cpu_ms", "median")
        if main is None or work is None:
            return CheckResult("uses_worker", False, "Not measured.")
        main_margin, work_margin = tick_margin(m, 1), tick_margin(m, max(1, asked))
        spent = (
            f"With workers: {asked}, the main thread spent {duration_text(main)} of CPU on the "
            f"job and the worker threads {duration_text(work)} (the job alone costs "
            f"{duration_text(job)} on one thread)"
        )
        if main > limit * job + main_margin:
            peak = int(number_at(m, "variants", variant, "peak_workers") or 0)
            online = (
                f" {_count(peak, 'worker')} came online, but did little of the work."
                if peak >= 1 and work < WORKER_THREADS_MIN_SHARE * job
                else ""
            )
            return CheckResult(
                "uses_worker",
                False,
                f"{spent}: crunch() ran on the main thread.{online} Call crunch() only inside "
                "workers, and give each worker its share of the items.",
            )
        if work < WORKER_THREADS_MIN_SHARE * floor - work_margin:
            return CheckResult(
                "uses_worker",
                False,
                f"{spent}: no thread of your program did the work. Did it run in another "
                "process? Run crunch() in a worker thread (worker_threads).",
            )
        worker_line = WORKER_THREADS_MIN_SHARE * job
        if work < worker_line - work_margin:
            inflated.append(spent)
        elif main > limit * job - main_margin or work < worker_line + work_margin:
            too_close.append(spent)
    if inflated:
        sized = number_at(m, "job", "cpu_ms") or floor
        return CheckResult(
            "uses_worker",
            False,
            f"Not judged: {inflated[0]}. The job was sized for {duration_text(sized)} of CPU, "
            f"yet its blocking run read {duration_text(job)}: this sandbox's thread clock "
            "charges a thread for the time it waits for a CPU, and this machine was too busy "
            "with other work to tell how much of the job your worker threads did. It is "
            "measured again; this attempt does not count.",
            inconclusive=True,
        )
    if too_close:
        precision = number_at(m, "thread_cpu", "precision_ms") or 0.0
        return CheckResult(
            "uses_worker",
            False,
            f"Not judged: {too_close[0]}. This sandbox's thread clock ticks every "
            f"{duration_text(precision)}, too coarse to tell on which side of the line that "
            "falls. It is measured again; this attempt does not count.",
            inconclusive=True,
        )
    main = main_thread_job_cpu(m, "one_worker") or 0.0
    work = number_at(m, "variants", "one_worker", "worker_threads_cpu_ms", "median") or 0.0
    return CheckResult(
        "uses_worker",
        True,
        f"With workers: 1, the worker threads spent {duration_text(work)} of CPU on the job "
        f"and the main thread {duration_text(main)} ({percent_text(main / job)} of what the job "
        "costs on one thread).",
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
    stalled = (
        f"While solve() ran with one worker, the main thread still stalled for "
        f"{duration_text(stall)} (p99), {percent_text(ratio)} of the {duration_text(blocked)} "
        "the blocking run stalled it"
    )
    job = number_at(m, "variants", "blocking", "cpu_ms", "median")
    main = main_thread_job_cpu(m, "one_worker")
    if job and main is not None and main <= MAIN_THREAD_MAX_SHARE * job:
        # Stalled without computing: the main thread was waiting, not crunching.
        return CheckResult(
            "keeps_loop_responsive",
            False,
            f"{stalled}, yet it spent only {duration_text(main)} of CPU: it was waiting for the "
            "worker synchronously (Atomics.wait, a blocking call). Await a message or "
            "Atomics.waitAsync instead.",
        )
    return CheckResult(
        "keeps_loop_responsive",
        False,
        f"{stalled}: keep crunch() off the main thread, and never wait for a worker synchronously.",
    )


def _splits_over_workers(m: dict[str, Any]) -> CheckResult:
    workers = int(number_at(m, "workers") or 0)
    busy = number_at(m, "variants", "n_workers", "busy_threads")
    if busy is None or workers < 1:
        return CheckResult("splits_over_workers", False, "Not measured.")
    share = number_at(m, "variants", "n_workers", "busiest_thread_share", "median")
    busiest = f" (the busiest did {percent_text(share)} of it)" if share and busy >= 1 else ""
    if busy >= workers:
        return CheckResult(
            "splits_over_workers",
            True,
            f"With workers: {workers}, {int(busy)} threads each did a share of the work{busiest}.",
        )
    peak = int(number_at(m, "variants", "n_workers", "peak_workers") or 0)
    online = f"; {_count(peak, 'worker')} came online" if peak > busy else ""
    return CheckResult(
        "splits_over_workers",
        False,
        f"With workers: {workers}, {_count(int(busy), 'thread')} did a share of the work"
        f"{busiest}{online}: start `workers` workers and give each its share of the items.",
    )


def _speeds_up(m: dict[str, Any]) -> CheckResult:
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    busy = number_at(m, "variants", "n_workers", "busy_threads")
    if speedup is None or not ideal or busy is None:
        return CheckResult("speeds_up", False, "Not measured.")
    quota = _quota_text(m)
    structure = _not_parallel(m, workers, int(busy))
    if structure is not None:
        return CheckResult(
            "speeds_up",
            False,
            f"{structure}, so the speedup ({times_text(speedup)}) is not a parallel one; "
            f"{quota} up to {times_text(ideal)} is possible.",
        )
    target = MIN_EFFICIENCY * ideal
    ref = Reference(
        number_at(m, "reference_speedup", "median"),
        number_at(m, "reference_speedup", "min"),
        number_at(m, "n_workers_vs_reference", "median"),
        number_at(m, "n_workers_vs_reference", "max"),
        int(number_at(m, "repeats") or 0),
    )
    reference = ref.median
    split = f"the grader's own split over {workers} workers, timed beside yours,"
    call = call_speedup(speedup, target, ref, KEEPS_UP_WITH_REFERENCE, TRAILS_REFERENCE)
    if call is SpeedupCall.REACHED:
        return CheckResult(
            "speeds_up",
            True,
            f"{workers} workers finished {times_text(speedup)} faster than the main thread "
            f"alone; the ideal {quota} is {times_text(ideal)} "
            f"({percent_text(_efficiency(m, speedup, ideal))} efficiency).",
        )
    if call is SpeedupCall.KEPT_UP:
        return CheckResult(
            "speeds_up",
            True,
            f"{workers} workers finished {times_text(speedup)} as fast as the main thread "
            f"alone, short of {times_text(target)}, but {split} reached "
            f"{times_text(reference)} and yours kept {percent_text(ref.pace)} of its pace.",
        )
    if call is SpeedupCall.TRAILED:
        return CheckResult(
            "speeds_up",
            False,
            f"{workers} workers finished {times_text(speedup)} as fast as the main thread "
            f"alone, while {split} reached at least {times_text(ref.low)} in every "
            f"repetition and yours kept at most {percent_text(ref.best_pace)} of its pace: "
            "the machine allowed the speedup, the code did not reach it. Do the workers "
            "start at once and spend their time on crunch()?",
        )
    reason = (
        f"{split} reached only {times_text(reference)} "
        f"(a parallel speedup needs {times_text(target)})"
        if reference is not None and not ref.reaches(target)
        else f"{split} reached {times_text(reference or 0)} and your runs went from "
        f"{times_text(number_at(m, 'speedup', 'min') or speedup)} to "
        f"{times_text(number_at(m, 'speedup', 'max') or speedup)}"
    )
    return CheckResult(
        "speeds_up",
        False,
        f"Not judged: your {workers} workers did run at the same time, each on its share, "
        f"and finished {times_text(speedup)} as fast as the main thread alone, but {reason}: "
        "this machine was too busy with other work to tell whether your code speeds the job "
        "up. It is measured again; this attempt does not count.",
        inconclusive=True,
    )


def _not_parallel(m: dict[str, Any], workers: int, busy: int) -> str | None:
    """Evidence a busy host cannot fake that N workers did not work at once, in words."""
    if busy < workers:
        return f"With workers: {workers}, {_count(busy, 'thread')} did a share of the work"
    share = number_at(m, "variants", "n_workers", "busiest_thread_share", "median")
    if share is not None and share >= NEARLY_ALL_WORK:
        return (
            f"With workers: {workers}, one thread did {percent_text(share)} of the workers' "
            "CPU time"
        )
    if _duplicated_work(m):
        return (
            f"Your {workers} workers used far more CPU time than the grader's own split over "
            f"{workers} workers: does each worker do the whole job?"
            " That is work done twice"
        )
    concurrency = number_at(m, "variants", "n_workers", "concurrency", "median")
    if concurrency is not None and concurrency < 1 + SEQUENTIAL_CONCURRENCY * (workers - 1):
        return (
            f"Your {workers} workers worked one after another, not at the same time (on "
            f"average {concurrency:.2f} of them were working at once)"
        )
    return None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _efficiency(m: dict[str, Any], speedup: float, ideal: float) -> float:
    """The harness's rounded efficiency, so every sentence quotes the same figure."""
    return number_at(m, "speedup", "efficiency") or speedup / ideal


def _quota_text(m: dict[str, Any]) -> str:
    cpus = number_at(m, "cpu_quota_cpus")
    return f"on a {cpus_text(cpus)} quota" if cpus else "without a CPU quota"


def _duplicated_work(m: dict[str, Any]) -> bool:
    """N workers' CPU time far above the grader's own split's (fresh workers alike)."""
    cpu = number_at(m, "variants", "n_workers", "worker_threads_cpu_ms", "median")
    reference = number_at(m, "variants", "reference_workers", "worker_threads_cpu_ms", "median")
    return bool(cpu and reference and cpu > DUPLICATED_WORK_CPU * reference)


def explain_unblock_the_loop(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """A.D.A. quotes the stalls, where the work ran, the speedup and what held it back."""
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
        speeds_up = next((check for check in checks if check.name == "speeds_up"), None)
        if speeds_up is not None and speeds_up.passed and efficiency < 0.9:
            lines.extend(_limits_sentence(m, workers))
    return lines


def _times_each(repeats: int) -> str:
    return "once each" if repeats == 1 else f"{repeats} times each"


def _limits_sentence(m: dict[str, Any], workers: int) -> list[str]:
    """What the machine allowed: the grader's own split and the quota's throttling, as facts.

    Said only when the speedup held: a gap on a check not held is explained by its own
    message, and an inconclusive one is measured again. Never "the gap is the code's" or
    "the machine's": the reference split timed beside it is the fair comparison.
    """
    reference = number_at(m, "reference_speedup", "median")
    throttled = number_at(m, "variants", "n_workers", "throttling", "throttled_periods")
    periods = number_at(m, "variants", "n_workers", "throttling", "periods")
    parts = []
    if reference is not None:
        parts.append(
            f"the grader's own split over {workers} workers, timed alongside, reached "
            f"{times_text(reference)}"
        )
    if throttled and periods:
        parts.append(
            f"the CPU quota throttled the container in {int(throttled)} of {int(periods)} "
            "scheduler periods while your workers ran"
        )
    if not parts:
        return []
    text = "; ".join(parts)
    return [f"For comparison, {text}."]
