"""One variant's numbers of an Unblock the Loop run, read defensively.

The harness runs the job blocking, through solve() with one worker and with N, and the
grader's own N-worker split; each variant reports its CPU time and stalls, and newer runs
also where the CPU went (the main thread's, the other threads'), how many threads did a
real share, the busiest one's share, and how many worked at once. Any may be missing: the
diagnoses also read results stored by older graders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.numbers import median_at, number_at


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
    parallelism: float | None  # how many threads worked at once, on average
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
            # The grader judges "one after another" on concurrency; parallelism (CPU over
            # wall time) says nearly the same where a run reports only that.
            parallelism=_first(
                median_at(variant, "concurrency"), median_at(variant, "parallelism")
            ),
            periods=number_at(variant, "throttling", "periods"),
            throttled_periods=number_at(variant, "throttling", "throttled_periods"),
            throttled_ms=number_at(variant, "throttling", "throttled_ms"),
        )


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)
