"""The panels of bars the portal draws for a Python lab's result, read from the measurements.

The portal draws a `contract.Chart` as it is: the grader picks the numbers, words them and
says which check judged each one (from `measurements["judged"]`), so the chart cannot
disagree with the checks. A panel with nothing measured to draw is left out.
"""

from __future__ import annotations

from typing import Any

from contract import Chart
from grader.adapters.python.labs.async_gather import shortest_delay_ms, variant_of
from grader.adapters.python.labs.shown import drawable, judged_bar, judged_of, ratio_text
from grader.numbers import duration_text, number_at

SPEEDUP_TITLE = "Speedup over count_primes() alone"
CPU_TITLE = "CPU time during parallel_count(), by process"
WALL_TITLE = "fetch_all()'s wall time against the slowest request and the sum"
LAG_TITLE = "Event loop's longest lateness while the requests ran"


def beat_the_gil_charts(m: dict[str, Any]) -> tuple[Chart, ...]:
    """The speedups (serial, your processes, the grader's threads and processes) against the
    ideal line; then the CPU time of the main process and of the children."""
    judged = judged_of(m)
    workers = int(number_at(m, "workers") or 0)
    charts = []
    speedup = drawable(number_at(m, "speedup", "median"))
    if speedup is not None:
        ideal = drawable(number_at(m, "speedup", "ideal")) or 0.0
        bars = [judged_bar("count_primes() alone", 1.0, "1x", "baseline")]
        bars.append(
            judged_bar(
                f"Your {workers} processes",
                speedup,
                ratio_text(speedup),
                "measured",
                judged.get("speedup"),
            )
        )
        for key, label in (
            ("threads_speedup", f"{workers} threads (grader's)"),
            ("reference_speedup", f"{workers} processes (grader's)"),
        ):
            value = drawable(number_at(m, key, "median"))
            if value is not None:
                bars.append(judged_bar(label, value, ratio_text(value), "baseline"))
        label = f"Ideal on this quota: {ratio_text(ideal)}" if ideal else ""
        charts.append(Chart(SPEEDUP_TITLE, "x", tuple(bars), ideal, label))
    job = drawable(number_at(m, "variants", "serial", "cpu_ms", "median"))
    main = drawable(number_at(m, "variants", "processes", "main_cpu_ms", "median"))
    children = drawable(number_at(m, "variants", "processes", "children_cpu_ms", "median"))
    if job is not None and main is not None and children is not None:
        where = judged.get("variants.processes")
        charts.append(
            Chart(
                CPU_TITLE,
                "ms",
                (
                    judged_bar("The job, on one process", job, duration_text(job), "baseline"),
                    judged_bar("Main process", main, duration_text(main), "measured", where),
                    judged_bar(
                        "Child processes", children, duration_text(children), "measured", where
                    ),
                ),
            )
        )
    return tuple(charts)


def async_gather_charts(m: dict[str, Any]) -> tuple[Chart, ...]:
    """The wall time beside the slowest request, the grader's gather and the sum; then the
    loop's longest lateness beside the grader's gather's, against the shortest delay."""
    judged = judged_of(m)
    student, reference = variant_of(m, "fetch_all"), variant_of(m, "reference_gather")
    charts = []
    wall = drawable(number_at(student, "wall_ms", "median"))
    slowest = drawable(number_at(m, "slowest_ms"))
    total = drawable(number_at(m, "sum_ms"))
    if wall is not None and slowest and total:
        bars = [
            judged_bar("Slowest request", slowest, duration_text(slowest), "baseline"),
            judged_bar(
                "Your fetch_all()",
                wall,
                duration_text(wall),
                "measured",
                judged.get("variants.fetch_all.wall_ms"),
            ),
        ]
        theirs = drawable(number_at(reference, "wall_ms", "median"))
        if theirs is not None:
            bars.append(judged_bar("Grader's gather", theirs, duration_text(theirs), "baseline"))
        bars.append(judged_bar("Sum of the delays", total, duration_text(total), "baseline"))
        charts.append(Chart(WALL_TITLE, "ms", tuple(bars)))
    lag = drawable(number_at(student, "lag_max_ms", "median"))
    if lag is not None:
        bars = [
            judged_bar(
                "Your fetch_all()",
                lag,
                duration_text(lag),
                "measured",
                judged.get("variants.fetch_all.lag_max_ms"),
            )
        ]
        theirs = drawable(number_at(reference, "lag_max_ms", "median"))
        if theirs is not None:
            bars.append(judged_bar("Grader's gather", theirs, duration_text(theirs), "baseline"))
        shortest = shortest_delay_ms(m) or 0.0
        label = f"Shortest request: {duration_text(shortest)}" if shortest else ""
        charts.append(Chart(LAG_TITLE, "ms", tuple(bars), shortest, label))
    return tuple(charts)
