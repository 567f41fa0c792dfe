"""Scripted submissions whose causes are known: the table A.D.A.'s diagnoses are tested on.

Each row is one submission (measurements as the graders report them, and code), the
causes its diagnosis must name and the causes it must not (those it could be mistaken
for). Several rows hold measurements as older graders stored them: the diagnoses still
read results recorded before the thread measurements existed.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult
from grader.adapters.node.labs.diagnoses.evidence import Cause

LOOP, SPAWN = "unblock-the-loop", "spawn-vs-exec"


# An older result: two workers asked for, but at most one online, and no thread measurements.
SLOW_SPLIT = {
    "cpu_quota_cpus": 2,
    "workers": 2,
    "items": 119843,
    "problem": None,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 590.8}, "cpu_ms": {"median": 597.1}},
        "one_worker": {"loop_delay_p99_ms": {"median": 11.0}, "peak_workers": 1},
        "n_workers": {
            "loop_delay_p99_ms": {"median": 12.0},
            "peak_workers": 1,
            "cpu_ms": {"median": 610.0},
        },
    },
    "speedup": {"median": 0.97, "min": 0.95, "max": 0.99, "ideal": 2, "efficiency": 0.49},
    "loop_delay_p99_ratio": {"one_worker": 0.019, "n_workers": 0.02},
}


def healthy_run() -> dict[str, Any]:
    """Two workers on a 2-CPU quota that split the job well: nothing to diagnose."""
    throttling = {"periods": 100, "throttled_periods": 0, "throttled_ms": 0}
    return {
        "workers": 2,
        "cpu_quota_cpus": 2,
        "items": 119843,
        "problem": None,
        "variants": {
            "blocking": {"wall_ms": {"median": 600}, "cpu_ms": {"median": 600.0},
                         "loop_delay_p99_ms": {"median": 590.0}},
            "one_worker": {"loop_delay_p99_ms": {"median": 11.0}, "peak_workers": 1,
                           "main_thread_cpu_ms": {"median": 30.0},
                           "worker_threads_cpu_ms": {"median": 620.0},
                           "busy_threads": 1, "busiest_thread_share": {"median": 0.97},
                           "parallelism": {"median": 1.0}},
            "n_workers": {"loop_delay_p99_ms": {"median": 12.0}, "peak_workers": 2,
                          "cpu_ms": {"median": 680.0}, "main_thread_cpu_ms": {"median": 40.0},
                          "worker_threads_cpu_ms": {"median": 640.0}, "busy_threads": 2,
                          "busiest_thread_share": {"median": 0.51},
                          "parallelism": {"median": 1.9}, "throttling": throttling},
            "reference_workers": {"worker_threads_cpu_ms": {"median": 630.0},
                                  "parallelism": {"median": 1.9}},
        },
        "speedup": {"median": 1.8, "min": 1.7, "max": 1.9, "ideal": 2, "efficiency": 0.9},
        "reference_speedup": {"median": 1.85, "min": 1.8, "max": 1.9},
        "n_workers_vs_reference": {"median": 0.97},
    }  # fmt: skip


def run(**changes: Any) -> dict[str, Any]:
    """The healthy run with `changes` ("n_workers.parallelism": {...}) merged in."""
    measurements = healthy_run()
    for dotted, value in changes.items():
        *path, key = dotted.split("__")
        target = measurements
        for part in path:
            target = target.setdefault(part, {})
        target[key] = value
    return measurements


def median(value: float) -> dict[str, float]:
    return {"median": value, "min": value, "max": value}


SLOW = {"speedup": {"median": 1.0, "ideal": 2, "efficiency": 0.5}}
AWAITS_IN_LOOP = """
const { Worker } = require('node:worker_threads');
function runWorker(seed, start, count) {
  return new Promise((resolve) => {
    const worker = new Worker(__filename, { workerData: { seed, start, count } });
    worker.once('message', resolve);
  });
}
async function solve({ seed, items }, { workers }) {
  const parts = [];
  for (let i = 0; i < workers; i++) {
    parts.push(await runWorker(seed, i * (items / workers), items / workers));
  }
  return combine(parts);
}
"""
ATOMICS_WAIT = "const view = new Int32Array(shared); Atomics.wait(view, 0, 0);"
KEEPS_CHUNKS = "child.stdout.on('data', (chunk) => { chunks.push(chunk); });"
INCONCLUSIVE_CHECK = CheckResult(
    "speeds_up", False, "Not judged: this machine was too busy.", inconclusive=True
)

# (id, lab kind, measurements, code, verdict, checks, causes it must name, must not name)
CASES = [
    ("healthy", LOOP, run(), "", "passed", [], set(), set(Cause)),
    (
        "one after another: parallelism near 1 with 2 workers on 2 CPUs",
        LOOP,
        run(variants__n_workers__parallelism=median(1.02), **SLOW),
        "",
        "failed",
        [],
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
        {Cause.ONE_WORKER_DID_ALL, Cause.WORK_ON_MAIN_THREAD, Cause.HOST_BUSY},
    ),
    (
        "one after another: an older run with fewer workers online than asked",
        LOOP,
        SLOW_SPLIT,
        "",
        "failed",
        [],
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
        {Cause.ONE_WORKER_DID_ALL, Cause.DUPLICATED_WORK, Cause.QUOTA_THROTTLED},
    ),
    (
        "one after another: nothing measured about it, but the code awaits in the loop",
        LOOP,
        {"workers": 2, "speedup": {"median": 1.0, "ideal": 2}},
        AWAITS_IN_LOOP,
        "failed",
        [],
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
        set(),
    ),
    (
        "measured at once outranks the code's await in a loop",
        LOOP,
        run(),
        AWAITS_IN_LOOP,
        "passed",
        [],
        set(),
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "one after another: the grader's newer name, concurrency",
        LOOP,
        run(
            variants__n_workers__parallelism=None,
            variants__n_workers__concurrency=median(1.1),
            **SLOW,
        ),
        "",
        "failed",
        [],
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
        {Cause.ONE_WORKER_DID_ALL},
    ),
    (
        "only some of the workers did a share",
        LOOP,
        run(
            workers=4,
            cpu_quota_cpus=4,
            variants__n_workers__busy_threads=2,
            variants__n_workers__busiest_thread_share=median(0.5),
            variants__n_workers__parallelism=median(1.9),
            speedup={"median": 1.8, "ideal": 4, "efficiency": 0.45},
        ),
        "",
        "failed",
        [],
        {Cause.ONE_WORKER_DID_ALL},
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "one worker did it all, though fewer workers were online than asked",
        LOOP,
        {
            **SLOW_SPLIT,
            "variants": {
                **SLOW_SPLIT["variants"],
                "n_workers": {
                    "peak_workers": 1,
                    "busy_threads": 1,
                    "busiest_thread_share": median(0.99),
                },
            },
        },
        "",
        "failed",
        [],
        {Cause.ONE_WORKER_DID_ALL},
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "one worker did all the items",
        LOOP,
        run(
            variants__n_workers__busiest_thread_share=median(0.98),
            variants__n_workers__busy_threads=1,
            variants__n_workers__parallelism=median(1.0),
            **SLOW,
        ),
        "",
        "failed",
        [],
        {Cause.ONE_WORKER_DID_ALL},
        {Cause.WORKERS_ONE_AFTER_ANOTHER, Cause.WORK_ON_MAIN_THREAD},
    ),
    (
        "the work ran on the main thread although a worker started",
        LOOP,
        run(
            variants__one_worker__main_thread_cpu_ms=median(585.0),
            variants__one_worker__worker_threads_cpu_ms=median(4.0),
            variants__one_worker__loop_delay_p99_ms=median(580.0),
            **SLOW,
        ),
        "",
        "failed",
        [],
        {Cause.WORK_ON_MAIN_THREAD},
        {Cause.MAIN_THREAD_BLOCKED_WAITING, Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "an older run where no worker came online",
        LOOP,
        {**SLOW_SPLIT, "variants": {"one_worker": {"peak_workers": 0}}},
        "",
        "failed",
        [],
        {Cause.WORK_ON_MAIN_THREAD},
        {Cause.MAIN_THREAD_BLOCKED_WAITING},
    ),
    (
        "blocked waiting: Atomics.wait, the main thread stalls without computing",
        LOOP,
        run(
            variants__one_worker__loop_delay_p99_ms=median(430.0),
            variants__one_worker__main_thread_cpu_ms=median(20.0),
        ),
        ATOMICS_WAIT,
        "failed",
        [],
        {Cause.MAIN_THREAD_BLOCKED_WAITING},
        {Cause.WORK_ON_MAIN_THREAD},
    ),
    (
        "blocked waiting: a busy loop polls while the worker computes",
        LOOP,
        run(
            variants__one_worker__loop_delay_p99_ms=median(560.0),
            variants__one_worker__main_thread_cpu_ms=median(600.0),
            variants__one_worker__worker_threads_cpu_ms=median(610.0),
        ),
        "",
        "failed",
        [],
        {Cause.MAIN_THREAD_BLOCKED_WAITING},
        {Cause.WORK_ON_MAIN_THREAD},
    ),
    (
        "an older run that still stalls: work or a synchronous wait on the main thread",
        LOOP,
        {
            **SLOW_SPLIT,
            "variants": {
                "blocking": {"loop_delay_p99_ms": {"median": 600.0}},
                "one_worker": {"loop_delay_p99_ms": {"median": 410.0}, "peak_workers": 1},
                "n_workers": {"loop_delay_p99_ms": {"median": 395.0}, "peak_workers": 2},
            },
            "speedup": {"median": 1.8, "ideal": 2, "efficiency": 0.9},
        },
        "",
        "failed",
        [],
        {Cause.WORK_ON_MAIN_THREAD},
        {Cause.WORKERS_ONE_AFTER_ANOTHER, Cause.MAIN_THREAD_BLOCKED_WAITING},
    ),
    (
        "the quota throttled the container",
        LOOP,
        run(
            variants__n_workers__throttling={
                "periods": 120,
                "throttled_periods": 48,
                "throttled_ms": 310,
            },
            **SLOW,
        ),
        "",
        "failed",
        [],
        {Cause.QUOTA_THROTTLED},
        {Cause.WORKERS_ONE_AFTER_ANOTHER, Cause.ONE_WORKER_DID_ALL, Cause.DUPLICATED_WORK},
    ),
    (
        "the host was busy: the grader's own split fell far below the ideal",
        LOOP,
        run(
            reference_speedup=median(0.9),
            variants__n_workers__parallelism=median(1.2),
            speedup={"median": 0.95, "ideal": 2, "efficiency": 0.47},
        ),
        "",
        "failed",
        [],
        {Cause.HOST_BUSY},
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "the host was busy: an inconclusive verdict",
        LOOP,
        run(speedup={"median": 1.0, "ideal": 2}),
        "",
        "inconclusive",
        [INCONCLUSIVE_CHECK],
        {Cause.HOST_BUSY},
        set(),
    ),
    (
        "duplicated work: far more CPU than the grader's own split",
        LOOP,
        run(variants__n_workers__worker_threads_cpu_ms=median(1260.0), **SLOW),
        "",
        "failed",
        [],
        {Cause.DUPLICATED_WORK},
        {Cause.ONE_WORKER_DID_ALL},
    ),
    (
        "duplicated work: an older run, far more CPU than the blocking run",
        LOOP,
        {
            **SLOW_SPLIT,
            "variants": {
                **SLOW_SPLIT["variants"],
                "n_workers": {"peak_workers": 2, "cpu_ms": {"median": 1300.0}},
            },
        },
        "",
        "failed",
        [],
        {Cause.DUPLICATED_WORK},
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "a 1-CPU quota: workers cannot run at once, and that is not the code's doing",
        LOOP,
        run(
            cpu_quota_cpus=1,
            variants__n_workers__parallelism=median(0.98),
            speedup={"median": 0.95, "ideal": 1, "efficiency": 0.95},
        ),
        "",
        "passed",
        [],
        set(),
        {Cause.WORKERS_ONE_AFTER_ANOTHER},
    ),
    (
        "every number null",
        LOOP,
        {
            "workers": None,
            "speedup": None,
            "reference_speedup": None,
            "variants": {
                "blocking": None,
                "one_worker": {"peak_workers": None, "main_thread_cpu_ms": None},
                "n_workers": {"parallelism": {"median": None}, "throttling": None},
            },
        },
        "",
        "failed",
        [],
        set(),
        set(Cause),
    ),
    (
        "a buffering call: exec stopped at maxBuffer",
        SPAWN,
        {
            "memory_ratio": 0.9,
            "variants": {
                "student": {"api": "exec", "error": "RangeError: stdout maxBuffer length exceeded"}
            },
        },
        "",
        "failed",
        [],
        {Cause.BUFFERING_CALL},
        {Cause.OUTPUT_KEPT_IN_MEMORY},
    ),
    (
        "output kept in memory: spawn, but memory grew like exec's",
        SPAWN,
        {"memory_ratio": 0.9, "variants": {"student": {"api": "spawn"}}},
        "",
        "failed",
        [],
        {Cause.OUTPUT_KEPT_IN_MEMORY},
        {Cause.BUFFERING_CALL},
    ),
    (
        "output kept in memory: retained memory measured",
        SPAWN,
        {
            "retained_ratio": 0.9,
            "exec_retained_ratio": 1.0,
            "variants": {"student": {"api": "spawn"}},
        },
        "",
        "failed",
        [],
        {Cause.OUTPUT_KEPT_IN_MEMORY},
        set(),
    ),
    (
        "output kept in memory: not measured, but the code collects the chunks",
        SPAWN,
        {"variants": {"student": {"api": "spawn"}}},
        KEEPS_CHUNKS,
        "failed",
        [],
        {Cause.OUTPUT_KEPT_IN_MEMORY},
        set(),
    ),
    (
        "retained memory outranks the peak growth of the process",
        SPAWN,
        {
            "retained_ratio": 0.02,
            "exec_retained_ratio": 1.0,
            "memory_ratio": 0.9,
            "variants": {"student": {"api": "spawn"}},
        },
        "",
        "passed",
        [],
        set(),
        {Cause.OUTPUT_KEPT_IN_MEMORY},
    ),
    (
        "measured lean memory outranks chunks collected in the code",
        SPAWN,
        {"memory_ratio": 0.1, "variants": {"student": {"api": "spawn"}}},
        KEEPS_CHUNKS,
        "passed",
        [],
        set(),
        {Cause.OUTPUT_KEPT_IN_MEMORY},
    ),
]
