"""Server-rendered SVG charts of what the grader measured.

Two panels, drawn from a GradeResult's `measurements` (the `unblock-the-loop` shape,
documented in services/contract/contract/schemas/harness-report.json): the main thread's
longest stall (p99 event-loop delay) when the work ran blocking, in one worker and in N
workers; and the measured speedup of N workers against the ideal the CPU quota allows.

A quantity that a check judged is coloured and labelled from that check's outcome, which the
grader puts in `measurements.judged` (grade-result.json): green when the check held, red
when it did not, grey when the host was too noisy to judge. The portal never compares a
number with a threshold itself, so the chart cannot disagree with the checks. The SVG is
served as an image, so it can hold no script, and it is built from numbers and check names
only: no text from a student ever reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 720
BAR_HEIGHT = 22
LABEL_WIDTH = 150
TEXT_WIDTH = 250  # right of the longest bar: "1.16x (speeds_up did not hold)"
PLOT_WIDTH = WIDTH - LABEL_WIDTH - TEXT_WIDTH
# The baseline and the reference are never judged; a measured quantity no check judged is
# plain information. Judged ones take their outcome's colour.
COLOURS = {"baseline": "#92400e", "ideal": "#6b7280", "measured": "#1d4ed8"}
OUTCOME_COLOURS = {"held": "#15803d", "did_not_hold": "#b91c1c", "not_judged": "#9ca3af"}
OUTCOME_WORDS = {"held": "held", "did_not_hold": "did not hold", "not_judged": "not judged"}


@dataclass(frozen=True)
class Bar:
    """One labelled bar of a panel."""

    label: str
    value: float
    text: str  # the number, then the judging check's outcome when one judged it
    colour: str
    judgement: str = ""  # e.g. "speeds_up did not hold"; empty when no check judged it


@dataclass(frozen=True)
class ChartData:
    """The numbers a chart shows, read defensively from `measurements`."""

    stalls: list[Bar]  # p99 event-loop delay per way of running the work
    speedup: float | None  # measured, N workers over blocking
    ideal: float | None  # min(N, CPUs of the quota)
    workers: int | None
    measured: Bar | None = None  # the speedup's bar, coloured by the check that judged it


def chart_data(measurements: dict[str, Any] | None) -> ChartData | None:
    """The chart's numbers, or None when the measurements hold nothing to draw."""
    if not isinstance(measurements, dict):
        return None
    variants = measurements.get("variants")
    if not isinstance(variants, dict):
        return None
    judged = measurements.get("judged")
    judged = judged if isinstance(judged, dict) else {}
    workers = _number(measurements.get("workers"))
    names = {
        "blocking": "Main thread",
        "one_worker": "1 worker",
        "n_workers": f"{int(workers)} workers" if workers else "N workers",
    }
    stalls = []
    for key, label in names.items():
        stall = _number(_dig(variants, key, "loop_delay_p99_ms", "median"))
        if stall is not None:
            plain = COLOURS["baseline"] if key == "blocking" else COLOURS["measured"]
            stalls.append(_bar(label, stall, f"{stall:g} ms", plain, judged.get(f"variants.{key}")))
    speedup = _number(_dig(measurements, "speedup", "median"))
    ideal = _number(_dig(measurements, "speedup", "ideal"))
    if not stalls and speedup is None:
        return None
    measured = None
    if speedup is not None:
        measured = _bar(
            "Measured speedup", speedup, f"{speedup:g}x", COLOURS["measured"], judged.get("speedup")
        )
    return ChartData(stalls, speedup, ideal, int(workers) if workers else None, measured)


def chart_summary(data: ChartData) -> str:
    """The chart in one sentence: its alternative text for screen readers."""
    parts = [f"{bar.label}: longest stall {bar.text}" for bar in data.stalls]
    if data.speedup is not None:
        ideal = f" (ideal {data.ideal:g}x)" if data.ideal else ""
        verdict = (
            f", {data.measured.judgement}" if data.measured and data.measured.judgement else ""
        )
        parts.append(f"speedup {data.speedup:g}x{ideal}{verdict}")
    return "; ".join(parts) + "."


def render_chart_svg(data: ChartData) -> str:
    """The SVG document of `data`."""
    rows: list[str] = []
    y = 10
    if data.stalls:
        y = _panel(rows, y, "Longest main-thread stall (p99 event-loop delay)", data.stalls)
    if data.speedup is not None:
        bars = [
            data.measured
            or Bar("Measured speedup", data.speedup, f"{data.speedup:g}x", COLOURS["measured"])
        ]
        if data.ideal:
            bars.append(
                Bar("Ideal on this quota", data.ideal, f"{data.ideal:g}x", COLOURS["ideal"])
            )
        y = _panel(rows, y, "Speedup of the workers over the main thread", bars)
    title = escape(chart_summary(data))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" '
        f'viewBox="0 0 {WIDTH} {y}" role="img" font-family="sans-serif" font-size="13">'
        f"<title>{title}</title>{''.join(rows)}</svg>"
    )


def _panel(rows: list[str], y: int, heading: str, bars: list[Bar]) -> int:
    rows.append(f'<text x="0" y="{y + 12}" font-weight="bold">{escape(heading)}</text>')
    y += 22
    top = max(bar.value for bar in bars) or 1.0
    for bar in bars:
        # At least 2 px, so a tiny stall next to a huge one is still visibly there.
        width = max(2.0, PLOT_WIDTH * bar.value / top)
        rows.append(f'<text x="0" y="{y + 16}">{escape(bar.label)}</text>')
        rows.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 4}" '
            f'fill="{bar.colour}"/>'
        )
        rows.append(
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 16}">{escape(bar.text)}</text>'
        )
        y += BAR_HEIGHT
    return y + 12


def _bar(label: str, value: float, number: str, plain: str, judged: Any) -> Bar:
    """A bar in its plain colour, or in the colour and words of the check that judged it."""
    outcome = judged.get("outcome") if isinstance(judged, dict) else None
    check = judged.get("check") if isinstance(judged, dict) else None
    if outcome not in OUTCOME_COLOURS or not isinstance(check, str):
        return Bar(label, value, number, plain)
    judgement = f"{check} {OUTCOME_WORDS[outcome]}"
    return Bar(label, value, f"{number} ({judgement})", OUTCOME_COLOURS[outcome], judgement)


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None
