"""What a Run of each Python lab shows beside its wall time (LabKind.run_measurements).

The numbers the lesson talks about, each ready to show, so the portal formats nothing.
"""

from __future__ import annotations

from typing import Any

from grader.adapters.python.labs.async_gather import variant_of
from grader.numbers import number_at, times_text
from grader.trial_measurements import Shown, milliseconds_shown


def beat_the_gil_run_measurements(m: dict[str, Any]) -> dict[str, Shown | None]:
    """What a Run shows: count_primes() alone, and the speedups of processes and threads."""
    workers = int(number_at(m, "workers") or 0)

    def speedup(key: str, label: str) -> Shown | None:
        value = number_at(m, key, "median")
        if value is None:
            return None
        return {"label": label, "value": value, "unit": "x", "text": times_text(value)}

    return {
        "serial_ms": milliseconds_shown(
            "count_primes() alone", number_at(m, "variants", "serial", "wall_ms", "median")
        ),
        "speedup": speedup("speedup", f"Speedup of your parallel_count() ({workers} processes)"),
        "threads_speedup": speedup("threads_speedup", f"Speedup of {workers} threads (the GIL)"),
    }


def async_gather_run_measurements(m: dict[str, Any]) -> dict[str, Shown | None]:
    """What a Run shows: fetch_all()'s time beside the slowest and the sum, and the lag."""
    student = variant_of(m, "fetch_all")
    peak = number_at(student, "max_in_flight", "max")
    return {
        "fetch_all_ms": milliseconds_shown(
            "Your fetch_all()", number_at(student, "wall_ms", "median")
        ),
        "slowest_ms": milliseconds_shown("The slowest request", number_at(m, "slowest_ms")),
        "sum_ms": milliseconds_shown("All the delays added up", number_at(m, "sum_ms")),
        "lag_max_ms": milliseconds_shown(
            "Event loop's longest lateness", number_at(student, "lag_max_ms", "median")
        ),
        "max_in_flight": None
        if peak is None
        else {
            "label": "Requests open at once (most)",
            "value": peak,
            "unit": "",
            "text": f"{int(peak)}",
        },
    }
