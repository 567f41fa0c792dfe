"""The few measurements a run shows, picked per lab kind from the harness's report.

A grading report holds dozens of numbers for the checks; a student who pressed "Run" wants
the ones the lesson talks about: how long it took, how long the main thread stalled, how
much faster the workers were, how much memory it took. Each is sent ready to show (label,
value, unit and the text the student reads), in display order, so the portal never needs
to know a lab kind or how to format a number. A number the run did not produce is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.labs.numbers import duration_text, number_at, size_text, times_text
from grader.report import HarnessReport

Shown = dict[str, Any]


def main_measurements(kind_name: str, report: HarnessReport | None) -> dict[str, Shown]:
    """name -> {label, value, unit, text}, wall time first, then the lab's own numbers."""
    if report is None:
        return {}
    shown = {"wall_ms": _milliseconds("Wall time", report.wall_ms)}
    pick = PICKERS.get(kind_name)
    if pick is not None:
        for name, entry in pick(report.measurements).items():
            if entry is not None:
                shown[name] = entry
    return shown


def _thread_lab(m: dict[str, Any]) -> dict[str, Shown | None]:
    delay = m.get("loop_delay_while_workers_ran")
    if not number_at(delay, "samples"):
        return {}
    return {
        "main_loop_delay_p99_ms": _milliseconds(
            "Main thread's event-loop delay while workers ran (p99)", number_at(delay, "p99_ms")
        ),
        "main_loop_delay_max_ms": _milliseconds(
            "Main thread's longest event-loop stall while workers ran", number_at(delay, "max_ms")
        ),
    }


def _unblock_the_loop(m: dict[str, Any]) -> dict[str, Shown | None]:
    workers = int(number_at(m, "workers") or 0)
    many = f"{workers} workers" if workers else "N workers"

    def stall(variant: str) -> float | None:
        return number_at(m, "variants", variant, "loop_delay_p99_ms", "median")

    speedup = number_at(m, "speedup", "median")
    return {
        "blocking_stall_p99_ms": _milliseconds(
            "Event-loop stall (p99), job on the main thread", stall("blocking")
        ),
        "one_worker_stall_p99_ms": _milliseconds(
            "Event-loop stall (p99), your solve() with 1 worker", stall("one_worker")
        ),
        "n_workers_stall_p99_ms": _milliseconds(
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


def _spawn_vs_exec(m: dict[str, Any]) -> dict[str, Shown | None]:
    return {
        "your_time_ms": _milliseconds(
            "Your countErrors() time", number_at(m, "variants", "student", "wall_ms", "median")
        ),
        "your_memory_bytes": _bytes(
            "Your peak memory growth",
            number_at(m, "variants", "student", "peak_rss_growth_bytes"),
        ),
        "exec_time_ms": _milliseconds(
            "exec's time, for comparison",
            number_at(m, "variants", "exec_reference", "wall_ms", "median"),
        ),
        "exec_memory_bytes": _bytes(
            "exec's peak memory growth, for comparison",
            number_at(m, "variants", "exec_reference", "peak_rss_growth_bytes"),
        ),
    }


def _milliseconds(label: str, value: float | None) -> Shown | None:
    if value is None:
        return None
    return {"label": label, "value": round(value, 3), "unit": "ms", "text": duration_text(value)}


def _bytes(label: str, value: float | None) -> Shown | None:
    if value is None:
        return None
    return {"label": label, "value": int(value), "unit": "bytes", "text": size_text(value)}


PICKERS: dict[str, Callable[[dict[str, Any]], dict[str, Shown | None]]] = {
    "thread-lab": _thread_lab,
    "unblock-the-loop": _unblock_the_loop,
    "spawn-vs-exec": _spawn_vs_exec,
}
