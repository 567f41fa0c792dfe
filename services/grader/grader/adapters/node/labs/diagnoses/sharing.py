"""How an Unblock the Loop submission's workers shared the job, and what went wrong there.

One worker doing (nearly) all the items, workers that ran one after another, and work done
more than once: CPU shares and counts a busy host cannot fake come first, the clock's
concurrency next (not when the host was busy), and the code only when nothing measured
speaks to it.
"""

from __future__ import annotations

from typing import Any

from contract import Diagnosis
from grader.adapters.node.labs.diagnoses.evidence import Cause, Evidence, diagnosis
from grader.adapters.node.labs.diagnoses.runs import Run
from grader.adapters.node.labs.unblock_the_loop import (
    DUPLICATED_WORK_CPU,
    DUPLICATED_WORK_CPU_OLD,
    NEARLY_ALL_WORK,
    SEQUENTIAL_CONCURRENCY,
)
from grader.numbers import duration_text, number_at, times_text

START_ALL_THEN_WAIT = (
    "Start all the workers first, keep their promises, then wait for all of them at once "
    "with `Promise.all`."
)


def one_worker_did_all(many: Run, workers: int) -> Diagnosis | None:
    if workers < 2 or not many.busy_threads and many.busiest_share is None:
        return None
    if many.busy_threads == 0:
        return None  # nothing ran in the workers: the main-thread rules speak to it
    if many.busiest_share is not None and many.busiest_share >= NEARLY_ALL_WORK:
        summary = "One worker did nearly all the items while the others had little to do."
        shown = (
            f"With `workers: {workers}`, the busiest worker did {many.busiest_share:.0%} of "
            "the workers' CPU time."
        )
    elif many.busy_threads is not None and many.busy_threads < workers:
        busy = int(many.busy_threads)
        summary = (
            "One worker did all the items while the others had nothing to do."
            if busy == 1
            else f"Only {busy} of your {workers} workers did a share of the items."
        )
        shown = f"With `workers: {workers}`, {busy} of the threads did a real share of the work."
    else:
        return None
    return diagnosis(
        Cause.ONE_WORKER_DID_ALL,
        summary,
        shown,
        "Give each worker its own range: `items / workers` items each, starting at its own "
        "offset, the last one taking the rest, and pass the range in `workerData`.",
        "split workers share items running at once",
    )


def one_after_another(
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
        and many.parallelism < 1 + SEQUENTIAL_CONCURRENCY * (room - 1)
        and not host_busy
    ):
        shown = (
            f"With `workers: {workers}`, on average {many.parallelism:.2f} of them were working "
            f"at once; running together they would come close to {room:g}."
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
    return diagnosis(
        Cause.WORKERS_ONE_AFTER_ANOTHER,
        "Your workers ran one after another instead of at the same time.",
        shown,
        "Workers run one after another when each one is awaited before the next one "
        "starts (an `await` inside the loop that starts them). " + START_ALL_THEN_WAIT,
        "split workers share items running at once",
    )


def duplicated_work(blocking: Run, many: Run, reference: Run, workers: int) -> Diagnosis | None:
    if many.worker_cpu and reference.worker_cpu:
        used, base, limit = many.worker_cpu, reference.worker_cpu, DUPLICATED_WORK_CPU
        against = f"the grader's own split over {workers} workers used"
    elif many.cpu and blocking.cpu:
        used, base, limit = many.cpu, blocking.cpu, DUPLICATED_WORK_CPU_OLD
        against = "the whole job takes on one thread"
    else:
        return None
    if used <= limit * base:
        return None
    return diagnosis(
        Cause.DUPLICATED_WORK,
        "Your workers did the same work more than once.",
        f"With `workers: {workers}` they used {duration_text(used)} of CPU, "
        f"{times_text(used / base)} the {duration_text(base)} {against}.",
        "Each worker should crunch only its own share of the items, not the whole job: pass "
        "each one its start and count.",
        "split workers share items running at once",
    )
