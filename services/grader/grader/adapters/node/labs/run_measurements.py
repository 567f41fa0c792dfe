"""What a Run of each Node lab shows beside its wall time (LabKind.run_measurements).

The numbers the lesson talks about: how long the main thread stalled, how much faster the
workers were, how much memory it took; each ready to show, so the portal formats nothing.
"""

from __future__ import annotations

from typing import Any

from grader.numbers import number_at, times_text
from grader.trial_measurements import Shown, bytes_shown, milliseconds_shown


def thread_lab_run_measurements(m: dict[str, Any]) -> dict[str, Shown | None]:
    delay = m.get("loop_delay_while_workers_ran")
    if not number_at(delay, "samples"):
        return {}
    return {
        "main_loop_delay_p99_ms": milliseconds_shown(
            "Main thread's event-loop delay while workers ran (p99)", number_at(delay, "p99_ms")
        ),
        "main_loop_delay_max_ms": milliseconds_shown(
            "Main thread's longest event-loop stall while workers ran", number_at(delay, "max_ms")
        ),
    }


def unblock_the_loop_run_measurements(m: dict[str, Any]) -> dict[str, Shown | None]:
    workers = int(number_at(m, "workers") or 0)
    many = f"{workers} workers" if workers else "N workers"

    def stall(variant: str) -> float | None:
        return number_at(m, "variants", variant, "loop_delay_p99_ms", "median")

    speedup = number_at(m, "speedup", "median")
    return {
        "blocking_stall_p99_ms": milliseconds_shown(
            "Event-loop stall (p99), job on the main thread", stall("blocking")
        ),
        "one_worker_stall_p99_ms": milliseconds_shown(
            "Event-loop stall (p99), your solve() with 1 worker", stall("one_worker")
        ),
        "n_workers_stall_p99_ms": milliseconds_shown(
            f"Event-loop stall (p99), your solve() with {many}", stall("n_workers")
        ),
        "speedup": None
        if speedup is None
        else {
            "label": f"Speedup with {many} over the main thread alone",
            "value": speedup,
            "unit": "x",
            "text": times_text(speedup),
        },
    }


def spawn_vs_exec_run_measurements(m: dict[str, Any]) -> dict[str, Shown | None]:
    return {
        "your_time_ms": milliseconds_shown(
            "Your countErrors() time", number_at(m, "variants", "student", "wall_ms", "median")
        ),
        "your_memory_bytes": bytes_shown(
            "Your peak memory growth",
            number_at(m, "variants", "student", "peak_rss_growth_bytes"),
        ),
        "exec_time_ms": milliseconds_shown(
            "exec's time, for comparison",
            number_at(m, "variants", "exec_reference", "wall_ms", "median"),
        ),
        "exec_memory_bytes": bytes_shown(
            "exec's peak memory growth, for comparison",
            number_at(m, "variants", "exec_reference", "peak_rss_growth_bytes"),
        ),
    }
