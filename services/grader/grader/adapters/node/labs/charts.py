"""The panels of bars the portal draws for a submission, read from the measurements.

The portal draws a `contract.Chart` as it is: the grader picks the numbers, words them and
says which check judged each one (from `measurements["judged"]`, the same outcome the
check list shows), so the chart cannot disagree with the checks and the portal compares no
number with a threshold. A panel with nothing measured to draw is left out.
"""

from __future__ import annotations

from typing import Any

from contract import Chart, ChartBar
from grader.numbers import number_at

STALL_TITLE = "Longest main-thread stall (p99 event-loop delay)"
SPEEDUP_TITLE = "Speedup of the workers over the main thread"
OUTCOMES = ("held", "did_not_hold", "not_judged")


def unblock_the_loop_charts(measurements: dict[str, Any]) -> tuple[Chart, ...]:
    """The stalls blocking, with one worker and with N; then the speedup against the ideal."""
    variants = measurements.get("variants")
    if not isinstance(variants, dict):
        return ()
    judged = measurements.get("judged")
    judged = judged if isinstance(judged, dict) else {}
    workers = _drawable(number_at(measurements, "workers"))
    names = {
        "blocking": "Main thread",
        "one_worker": "1 worker",
        "n_workers": f"{int(workers)} workers" if workers else "N workers",
    }
    stalls = []
    for key, label in names.items():
        stall = _drawable(number_at(variants, key, "loop_delay_p99_ms", "median"))
        if stall is not None:
            role = "baseline" if key == "blocking" else "measured"
            text = f"{round(stall, 1):g} ms"
            stalls.append(_bar(label, stall, text, role, judged.get(f"variants.{key}")))
    charts = []
    if stalls:
        charts.append(Chart(STALL_TITLE, "ms", tuple(stalls)))
    speedup = _drawable(number_at(measurements, "speedup", "median"))
    if speedup is not None:
        ideal = _drawable(number_at(measurements, "speedup", "ideal")) or 0.0
        bar = _bar("Measured speedup", speedup, _times(speedup), "measured", judged.get("speedup"))
        label = f"Ideal on this quota: {_times(ideal)}" if ideal else ""
        charts.append(Chart(SPEEDUP_TITLE, "x", (bar,), ideal, label))
    return tuple(charts)


def _bar(label: str, value: float, text: str, role: str, judged: Any) -> ChartBar:
    """A bar, with the check that judged it and that check's outcome when one did."""
    check = judged.get("check") if isinstance(judged, dict) else None
    outcome = judged.get("outcome") if isinstance(judged, dict) else None
    if not isinstance(check, str) or outcome not in OUTCOMES:
        return ChartBar(label, value, text, role)
    return ChartBar(label, value, text, role, check, outcome)


def _drawable(value: float | None) -> float | None:
    """A number a bar can show: a length is never negative."""
    return value if value is not None and value >= 0 else None


def _times(ratio: float) -> str:
    """`1.7x`, `1.16x`, `2x`: as short as the number allows."""
    return f"{round(ratio, 2):g}x"
