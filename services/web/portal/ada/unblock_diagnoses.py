"""Why an Unblock the Loop submission stalled the loop or did not speed up, from its numbers.

The harness runs the job blocking, through solve() with one worker and with N, and times
the grader's own N-worker split alongside. Newer runs also say where the CPU went: the
main thread's CPU, the other threads', how many threads did a real share, the busiest
one's share, and the parallelism (other threads' CPU over wall time). Each rule reads
them defensively; older submissions without them fall back on peak workers, CPU time and
stalls, and only then on the code. The limits are in thresholds.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.ada.diagnoses import Cause, Diagnosis, Evidence
from portal.ada.numbers import median_at, ms_text, number_at, times_text
from portal.ada.thresholds import (
    DUPLICATED_WORK_CPU,
    HOST_BUSY_EFFICIENCY,
    MAIN_THREAD_WORK_SHARE,
    MIN_EFFICIENCY,
    ONE_WORKER_SHARE,
    RESPONSIVE_MAX_STALL_RATIO,
    SEQUENTIAL_PARALLELISM,
    THROTTLED_SHARE,
)

START_ALL_THEN_WAIT = (
    "Start all the workers first, keep their promises, then wait for all of them at once "
    "with `Promise.all`."
)


@dataclass(frozen=True)
class Run:
    """One variant's numbers (blocking, one_worker, n_workers), any of them None."""

    cpu: float | None
    stall: float | None
    peak_workers: float | None
    main_cpu: float | None
    worker_cpu: float | None
    busy_threads: float | None
    busiest_share: float | None
    parallelism: float | None
    periods: float | None
    throttled_periods: float | None
    throttled_ms: float | None

    @classmethod
    def read(cls, m: dict[str, Any], name: str) -> Run:
        """The variant `name` of the measurements `m`."""
        variants = m.get("variants")
        variant = variants.get(name) if isinstance(variants, dict) else None
        variant = variant if isinstance(variant, dict) else {}
        return cls(
            cpu=median_at(variant, "cpu_ms"),
            stall=median_at(variant, "loop_delay_p99_ms"),
            peak_workers=number_at(variant, "peak_workers"),
            main_cpu=median_at(variant, "main_thread_cpu_ms"),
            worker_cpu=median_at(variant, "worker_threads_cpu_ms"),
            busy_threads=number_at(variant, "busy_threads"),
            busiest_share=median_at(variant, "busiest_thread_share"),
            parallelism=median_at(variant, "parallelism"),
            periods=number_at(variant, "throttling", "periods"),
            throttled_periods=number_at(variant, "throttling", "throttled_periods"),
            throttled_ms=number_at(variant, "throttling", "throttled_ms"),
        )


def diagnose_unblock_the_loop(evidence: Evidence) -> list[Diagnosis]:
    """The causes the numbers (or, failing them, the code) point to, most telling first."""
    m = evidence.measurements
    blocking, one, many = (Run.read(m, name) for name in ("blocking", "one_worker", "n_workers"))
    workers = int(number_at(m, "workers") or 0)
    found: list[Diagnosis | None] = []
    on_main = _work_on_main_thread(blocking, one, many)
    found.append(on_main)
    if on_main is None:
        found.append(_blocked_waiting(evidence, blocking, one, many))
    if _slow(m, many, workers) and on_main is None:
        host_busy = _host_busy(evidence, m, workers)
        did_all = _one_worker_did_all(many, workers)
        found.append(did_all)
        if did_all is None:
            found.append(_one_after_another(evidence, m, many, workers, host_busy is not None))
        found.append(_duplicated_work(blocking, many, workers))
        found.append(_throttled(m, many, workers))
        found.insert(0 if evidence.verdict == "inconclusive" else len(found), host_busy)
    elif evidence.inconclusive:
        found.insert(0, _host_busy(evidence, m, workers))
    return [diagnosis for diagnosis in found if diagnosis is not None]


def _slow(m: dict[str, Any], many: Run, workers: int) -> bool:
    """Whether the N-worker run missed the speedup (or was not timed, or ran too few)."""
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    too_few = many.peak_workers is not None and many.peak_workers < workers
    return speedup is None or not ideal or speedup < MIN_EFFICIENCY * ideal or too_few


def _work_on_main_thread(blocking: Run, one: Run, many: Run) -> Diagnosis | None:
    if one.peak_workers == 0:
        return Diagnosis(
            Cause.WORK_ON_MAIN_THREAD,
            "The job still ran on the main thread.",
            "No worker thread came online while solve() ran with `workers: 1`.",
            "Start a `Worker` and call `crunch()` inside it, then send the checksum back to "
            "the main thread with a message.",
            "event loop blocked main thread computes long",
        )
    for label, run in (("1", one), ("N", many)):
        if run.main_cpu is None or not blocking.cpu:
            continue
        share = run.main_cpu / blocking.cpu
        workers_did_it = run.worker_cpu is not None and run.worker_cpu >= (
            MAIN_THREAD_WORK_SHARE * blocking.cpu
        )
        if share >= MAIN_THREAD_WORK_SHARE and not workers_did_it:
            count = "`workers: 1`" if label == "1" else "all your workers"
            return Diagnosis(
                Cause.WORK_ON_MAIN_THREAD,
                "The job still ran on the main thread.",
                f"With {count}, the main thread spent {ms_text(run.main_cpu)} of CPU during "
                f"solve(), {share:.0%} of the {ms_text(blocking.cpu)} the whole job takes.",
                "Call `crunch()` only inside the workers: the main thread should only start "
                "them, send each its share and combine what they post back.",
                "event loop blocked main thread computes long",
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
        f"The main thread's longest stall (p99 event-loop delay) was {ms_text(worst.stall or 0)} "
        f"with your workers, {ratio:.0%} of the {ms_text(blocking.stall)} it stalled when the "
        "job blocked it."
    )
    measured_in_workers = worst.worker_cpu is not None and blocking.cpu
    if measured_in_workers and (worst.worker_cpu or 0) < MAIN_THREAD_WORK_SHARE * (
        blocking.cpu or 0
    ):
        measured_in_workers = False
    if not measured_in_workers and not evidence.code.waits_with_atomics:
        return Diagnosis(
            Cause.WORK_ON_MAIN_THREAD,
            "The main thread still stalls with workers.",
            stalled,
            "The heavy work, or a synchronous wait for it, is still on the main thread. Call "
            "`crunch()` only inside the workers and wait for their messages with a promise.",
            "event loop blocked main thread computes long",
        )
    how = (
        "Your code calls `Atomics.wait`, which blocks the main thread until it is woken."
        if evidence.code.waits_with_atomics
        else f"Your workers did the work ({ms_text(worst.worker_cpu or 0)} of CPU), so the "
        "main thread was busy waiting for them."
    )
    return Diagnosis(
        Cause.MAIN_THREAD_BLOCKED_WAITING,
        "The main thread was blocked while it waited for the workers.",
        f"{stalled} {how}",
        "Wait for a worker's answer without blocking: listen for its `message` event inside a "
        "promise and `await` it, instead of `Atomics.wait` or a loop that polls.",
        "worker message postMessage main thread keeps serving",
    )


def _one_worker_did_all(many: Run, workers: int) -> Diagnosis | None:
    if workers < 2 or many.busy_threads == 0:
        return None
    by_share = many.busiest_share is not None and many.busiest_share >= ONE_WORKER_SHARE
    by_count = many.busiest_share is None and many.busy_threads == 1
    if not (by_share or by_count):
        return None
    shown = (
        f"The busiest worker did {many.busiest_share:.0%} of the workers' CPU time"
        if by_share
        else "Only one thread did a real share of the work"
    )
    return Diagnosis(
        Cause.ONE_WORKER_DID_ALL,
        "One worker did all the items while the others had nothing to do.",
        f"{shown} with `workers: {workers}`.",
        "Give each worker its own range: `items / workers` items each, starting at its own "
        "offset, the last one taking the rest, and pass the range in `workerData`.",
        "split workers share items running at once",
    )


def _one_after_another(
    evidence: Evidence, m: dict[str, Any], many: Run, workers: int, host_busy: bool
) -> Diagnosis | None:
    if workers < 2:
        return None
    cpus = number_at(m, "cpu_quota_cpus")
    room = min(workers, cpus) if cpus else workers
    if many.peak_workers is not None and many.peak_workers < workers:
        shown = f"At most {int(many.peak_workers)} of your {workers} workers ran at once."
    elif (
        many.parallelism is not None
        and room >= 2
        and many.parallelism <= SEQUENTIAL_PARALLELISM
        and not host_busy
    ):
        shown = (
            f"With `workers: {workers}`, your workers kept {many.parallelism:.1f} CPUs busy "
            f"on average; running at once they would keep close to {room:g} busy."
        )
    elif (
        many.peak_workers is None
        and many.parallelism is None
        and evidence.code.awaits_workers_in_a_loop
    ):
        shown = (
            "Your code awaits inside the loop that starts the workers, so each one starts "
            "only after the previous one has finished."
        )
    else:
        return None
    return Diagnosis(
        Cause.WORKERS_ONE_AFTER_ANOTHER,
        "Your workers ran one after another instead of at the same time.",
        shown,
        "Workers run one after another when each one is awaited before the next one "
        "starts (an `await` inside the loop that starts them). " + START_ALL_THEN_WAIT,
        "split workers share items running at once",
    )


def _duplicated_work(blocking: Run, many: Run, workers: int) -> Diagnosis | None:
    used = many.worker_cpu if many.worker_cpu is not None else many.cpu
    if not used or not blocking.cpu or used <= DUPLICATED_WORK_CPU * blocking.cpu:
        return None
    return Diagnosis(
        Cause.DUPLICATED_WORK,
        "Your workers did the same work more than once.",
        f"With `workers: {workers}` they used {ms_text(used)} of CPU, "
        f"{times_text(used / blocking.cpu)} the {ms_text(blocking.cpu)} the whole job takes.",
        "Each worker should crunch only its own share of the items, not the whole job: pass "
        "each one its start and count.",
        "split workers share items running at once",
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
    return Diagnosis(
        Cause.QUOTA_THROTTLED,
        "The container's CPU quota throttled your workers.",
        f"The {quota}quota throttled the container in {int(many.throttled_periods)} of "
        f"{int(many.periods)} scheduler periods ({share:.0%}, "
        f"{ms_text(many.throttled_ms or 0)}) while your workers ran.",
        "That time is the quota's, not your code's: no more threads can compute at once than "
        f"the quota has CPUs.{more}",
        "pool of workers as many as the CPUs",
    )


def _host_busy(evidence: Evidence, m: dict[str, Any], workers: int) -> Diagnosis | None:
    reference = number_at(m, "reference_speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    if reference is not None and ideal and reference < HOST_BUSY_EFFICIENCY * ideal:
        shown = (
            f"The grader's own split over {workers} workers, timed alongside yours, reached "
            f"only {times_text(reference)} of the ideal {times_text(ideal)}."
        )
    elif evidence.inconclusive:
        shown = "The grader marked its speed measurements as inconclusive."
    else:
        return None
    return Diagnosis(
        Cause.HOST_BUSY,
        "The grading machine was too busy to measure the speedup reliably.",
        shown,
        "The timings say more about the machine than about your code. Submit again later: "
        "an inconclusive result is measured again and never counts against you.",
        "measure event-loop delay",
    )
