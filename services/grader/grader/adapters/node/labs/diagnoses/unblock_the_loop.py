"""Why an Unblock the Loop submission stalled the loop or did not speed up, from its numbers.

The rules about the main thread (the job still on it, or blocked while it waits) and the
machine (the quota throttling, a host too busy to measure) are here; how the workers
shared the job is in sharing.py, the numbers they read in runs.py. Older results without
the thread measurements fall back on peak workers, CPU time and stalls, and only then on
the code. The limits are the judge's (grader/labs/unblock_the_loop.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contract import Diagnosis
from grader.adapters.node.labs.diagnoses.evidence import Cause, Evidence, diagnosis
from grader.adapters.node.labs.diagnoses.runs import Run
from grader.adapters.node.labs.diagnoses.sharing import (
    duplicated_work,
    one_after_another,
    one_worker_did_all,
)
from grader.adapters.node.labs.unblock_the_loop import (
    MAIN_THREAD_MAX_SHARE,
    MAIN_THREAD_MAX_SHARE_N,
    MIN_EFFICIENCY,
    RESPONSIVE_MAX_STALL_RATIO,
    THROTTLED_SHARE,
    WORKER_THREADS_MIN_SHARE,
)
from grader.numbers import duration_text, number_at, times_text


def diagnose_unblock_the_loop(evidence: Evidence) -> list[Diagnosis]:
    """The causes the numbers (or, failing them, the code) point to, most telling first."""
    m = evidence.measurements
    blocking, one, many, reference = (
        Run.read(m, name) for name in ("blocking", "one_worker", "n_workers", "reference_workers")
    )
    one, many = (_main_cpu_on_the_job(run, reference) for run in (one, many))
    workers = int(number_at(m, "workers") or 0)
    found: list[Diagnosis | None] = []
    on_main = _work_on_main_thread(blocking, one, many)
    found.append(on_main)
    if on_main is None:
        found.append(_blocked_waiting(evidence, blocking, one, many))
        # How the workers shared the job: CPU shares and counts a busy host cannot fake.
        host_busy = _host_busy(evidence, m, workers)
        did_all = one_worker_did_all(many, workers)
        found.append(did_all)
        if did_all is None:
            found.append(one_after_another(evidence, m, many, workers, host_busy is not None))
        found.append(duplicated_work(blocking, many, reference, workers))
        if _slow(m):
            found.append(_throttled(m, many, workers))
        if _slow(m) or evidence.inconclusive:
            found.insert(0 if evidence.inconclusive else len(found), host_busy)
    return [diagnosis for diagnosis in found if diagnosis is not None]


def _slow(m: dict[str, Any]) -> bool:
    """Whether the N-worker run missed the speedup (or was not timed)."""
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    return speedup is None or not ideal or speedup < MIN_EFFICIENCY * ideal


def _main_cpu_on_the_job(run: Run, reference: Run) -> Run:
    """The run with its main thread's CPU counted as the judge counts it: beyond the grader's
    own split's (main_thread_job_cpu), so that diagnosis and verdict agree."""
    if run.main_cpu is None:
        return run
    return replace(run, main_cpu=max(0.0, run.main_cpu - (reference.main_cpu or 0.0)))


def _work_on_main_thread(blocking: Run, one: Run, many: Run) -> Diagnosis | None:
    if one.peak_workers == 0 and one.worker_cpu is None:
        return diagnosis(
            Cause.WORK_ON_MAIN_THREAD,
            "The job still ran on the main thread.",
            "No worker thread came online while solve() ran with `workers: 1`.",
            "Start a `Worker` and call `crunch()` inside it, then send the checksum back to "
            "the main thread with a message.",
            "code that computes for a long time keeps the only thread busy",
        )
    job = blocking.cpu
    for asked, run, limit in (
        ("`workers: 1`", one, MAIN_THREAD_MAX_SHARE),
        ("all your workers", many, MAIN_THREAD_MAX_SHARE_N),
    ):
        if run.main_cpu is None or not job or run.main_cpu <= limit * job:
            continue
        if run.worker_cpu is not None and run.worker_cpu >= WORKER_THREADS_MIN_SHARE * job:
            continue  # the workers did the job: the main thread was busy waiting for them
        share = run.main_cpu / job
        return diagnosis(
            Cause.WORK_ON_MAIN_THREAD,
            "The job still ran on the main thread.",
            f"With {asked}, the main thread spent {duration_text(run.main_cpu)} of CPU during "
            f"solve(), {share:.0%} of the {duration_text(job)} the whole job takes on one thread.",
            "Call `crunch()` only inside the workers: the main thread should only start "
            "them, send each its share and combine what they post back.",
            "code that computes for a long time keeps the only thread busy",
        )
    return None


def _blocked_waiting(evidence: Evidence, blocking: Run, one: Run, many: Run) -> Diagnosis | None:
    stalls = [run for run in (one, many) if run.stall is not None]
    if not blocking.stall or not stalls:
        return None
    worst = max(stalls, key=lambda run: run.stall or 0)
    ratio = (worst.stall or 0) / blocking.stall
    if ratio <= RESPONSIVE_MAX_STALL_RATIO:
        return None
    stalled = (
        "The main thread's longest stall (p99 event-loop delay) was "
        f"{duration_text(worst.stall or 0)} with your workers, {ratio:.0%} of the "
        f"{duration_text(blocking.stall)} it stalled when the job blocked it."
    )
    job = blocking.cpu or 0
    measured_in_workers = bool(
        job and worst.worker_cpu is not None and worst.worker_cpu >= WORKER_THREADS_MIN_SHARE * job
    )
    idle_main = bool(
        job and worst.main_cpu is not None and worst.main_cpu <= MAIN_THREAD_MAX_SHARE * job
    )
    if not (measured_in_workers or idle_main or evidence.code.waits_with_atomics):
        return diagnosis(
            Cause.WORK_ON_MAIN_THREAD,
            "The main thread still stalls with workers.",
            stalled,
            "The heavy work, or a synchronous wait for it, is still on the main thread. Call "
            "`crunch()` only inside the workers and wait for their messages with a promise.",
            "code that computes for a long time keeps the only thread busy",
        )
    if idle_main:
        how = (
            f"Yet the main thread spent only {duration_text(worst.main_cpu or 0)} of CPU: it was "
            "waiting for the workers synchronously, not computing."
        )
    elif measured_in_workers:
        how = (
            f"Your workers did the work ({duration_text(worst.worker_cpu or 0)} of CPU), so the "
            "main thread was busy waiting for them."
        )
    else:
        how = ""
    if evidence.code.waits_with_atomics:
        how += " Your code calls `Atomics.wait`, which blocks the thread until it is woken."
    return diagnosis(
        Cause.MAIN_THREAD_BLOCKED_WAITING,
        "The main thread was blocked while it waited for the workers.",
        f"{stalled} {how.strip()}",
        "Wait for a worker's answer without blocking: listen for its `message` event inside a "
        "promise and `await` it (or use `Atomics.waitAsync`), instead of `Atomics.wait` or a "
        "loop that polls.",
        "worker message postMessage main thread keeps serving",
    )


def _throttled(m: dict[str, Any], many: Run, workers: int) -> Diagnosis | None:
    if not many.periods or many.throttled_periods is None:
        return None
    share = many.throttled_periods / many.periods
    if share < THROTTLED_SHARE:
        return None
    cpus = number_at(m, "cpu_quota_cpus")
    quota = f"{cpus:g}-CPU " if cpus else ""
    more = (
        f" You asked for {workers} workers on {cpus:g} CPUs, so some always wait their turn."
        if cpus and cpus < workers
        else ""
    )
    return diagnosis(
        Cause.QUOTA_THROTTLED,
        "The container's CPU quota throttled your workers.",
        f"The {quota}quota throttled the container in {int(many.throttled_periods)} of "
        f"{int(many.periods)} scheduler periods ({share:.0%}, "
        f"{duration_text(many.throttled_ms or 0)}) while your workers ran.",
        "That time is the quota's, not your code's: no more threads can compute at once than "
        f"the quota has CPUs.{more}",
        "keep a small pool of workers, about as many as the CPUs the server really has",
    )


def _host_busy(evidence: Evidence, m: dict[str, Any], workers: int) -> Diagnosis | None:
    reference = number_at(m, "reference_speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    if reference is not None and ideal and reference < MIN_EFFICIENCY * ideal:
        shown = (
            f"The grader's own split over {workers} workers, timed alongside yours, reached "
            f"only {times_text(reference)} of the ideal {times_text(ideal)}."
        )
    elif evidence.inconclusive:
        shown = "The grader marked its speed measurements as inconclusive."
    else:
        return None
    return diagnosis(
        Cause.HOST_BUSY,
        "The grading machine was too busy to measure the speedup reliably.",
        shown,
        "The timings say more about the machine than about your code. Submit again later: "
        "an inconclusive result is measured again and never counts against you.",
        "measure event-loop delay",
    )
