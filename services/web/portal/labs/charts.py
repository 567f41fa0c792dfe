"""Server-rendered SVG charts of what the grader measured, drawn as the grader gave them.

A GradeResult (version 2) carries its charts: panels of labelled bars with their unit, and
an optional ideal drawn as a line across the panel. Each bar says its role (the baseline it
is compared against, or a measured value) and, when a check judged it, that check's name
and outcome: green when the check held, red when it did not, grey when the host was too
noisy to judge. The portal knows no lab: it compares no number with any threshold, so a
chart cannot disagree with the checks. The SVG is served as an image, so it can hold no
script, and every text in it is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from portal.catalogue.catalogue import Lab, check_title

WIDTH = 720
BAR_HEIGHT = 22
LABEL_WIDTH = 150
TEXT_WIDTH = 250  # right of the longest bar: "1.16x (did not hold)"
PLOT_WIDTH = WIDTH - LABEL_WIDTH - TEXT_WIDTH
NARROW_WIDTH = 360  # a phone's chart: drawn as wide as it is shown, so 13 px stay 13 px
NARROW_PLOT_WIDTH = NARROW_WIDTH - 10  # the bar's text goes above it
ROLE_COLOURS = {"baseline": "#92400e", "measured": "#1d4ed8"}
IDEAL_COLOUR = "#6b7280"
OUTCOME_COLOURS = {"held": "#15803d", "did_not_hold": "#b91c1c", "not_judged": "#9ca3af"}
OUTCOME_WORDS = {"held": "held", "did_not_hold": "did not hold", "not_judged": "not judged"}


@dataclass(frozen=True)
class Bar:
    """One labelled bar of a panel, ready to draw."""

    label: str
    value: float
    number: str  # the value as the grader wrote it, e.g. "1.7x"
    colour: str
    check: str = ""  # the identifier of the check that judged it; empty when none did
    outcome: str = ""  # that check's outcome in words, e.g. "did not hold"

    @property
    def text(self) -> str:
        """What the chart writes beside the bar: the number, then the outcome, if judged."""
        return f"{self.number} ({self.outcome})" if self.check else self.number

    def spoken(self, lab: Lab | None) -> str:
        """The bar in words for the alternative text, naming its check by the lab's title."""
        if not self.check:
            return f"{self.label} {self.number}"
        return f"{self.label} {self.number} (“{check_title(lab, self.check)}” {self.outcome})"


@dataclass(frozen=True)
class Panel:
    """One chart panel, read defensively from what the submission stored."""

    title: str
    bars: list[Bar]
    ideal: float = 0.0
    ideal_label: str = ""


def chart_panels(analysis: Any) -> list[Panel]:
    """The panels of a submission's stored analysis; none for an older result."""
    charts = analysis.get("charts") if isinstance(analysis, dict) else None
    panels = []
    for chart in charts if isinstance(charts, list) else []:
        if not isinstance(chart, dict) or not isinstance(chart.get("title"), str):
            continue
        bars = [bar for bar in map(_bar, chart.get("bars") or []) if bar is not None]
        if not bars:
            continue
        ideal = _number(chart.get("ideal")) or 0.0
        label = chart.get("ideal_label") if isinstance(chart.get("ideal_label"), str) else ""
        panels.append(Panel(chart["title"], bars, ideal, label))
    return panels


def chart_summary(panels: list[Panel], lab: Lab | None = None) -> str:
    """The chart in one sentence: its alternative text for screen readers, each judged
    value with the title of the check that judged it (the bar itself says only the
    outcome: a title would not fit beside it)."""
    parts = []
    for panel in panels:
        shown = ", ".join(bar.spoken(lab) for bar in panel.bars)
        ideal = f" ({panel.ideal_label})" if panel.ideal and panel.ideal_label else ""
        parts.append(f"{panel.title}: {shown}{ideal}")
    return "; ".join(parts) + "."


def render_chart_svg(panels: list[Panel], narrow: bool = False, lab: Lab | None = None) -> str:
    """The SVG document of `panels`; `narrow`: a phone's layout, NARROW_WIDTH wide with
    each label above its bar, so that shown at a phone's width its text keeps its size."""
    rows: list[str] = []
    y = 10
    for panel in panels:
        y = _panel(rows, y, panel, narrow)
    title = escape(chart_summary(panels, lab))
    width = NARROW_WIDTH if narrow else WIDTH
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
        f'viewBox="0 0 {width} {y}" role="img" font-family="sans-serif" font-size="13">'
        f"<title>{title}</title>{''.join(rows)}</svg>"
    )


def _panel(rows: list[str], y: int, panel: Panel, narrow: bool = False) -> int:
    rows.append(f'<text x="0" y="{y + 12}" font-weight="bold">{escape(panel.title)}</text>')
    y += 22
    top = max([bar.value for bar in panel.bars] + [panel.ideal]) or 1.0
    left, plot_width = (0, NARROW_PLOT_WIDTH) if narrow else (LABEL_WIDTH, PLOT_WIDTH)
    first = y
    for bar in panel.bars:
        # At least 2 px, so a tiny value next to a huge one is still visibly there.
        width = max(2.0, plot_width * bar.value / top)
        rows.append(f'<text x="0" y="{y + 16}">{escape(bar.label)}</text>')
        if narrow:  # label, number and bar each on a line of their own
            rows.append(f'<text x="0" y="{y + 34}">{escape(bar.text)}</text>')
            y += 38
        rows.append(
            f'<rect x="{left}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 4}" '
            f'fill="{bar.colour}"/>'
        )
        if not narrow:
            text_x = left + width + 6
            rows.append(f'<text x="{text_x:.1f}" y="{y + 16}">{escape(bar.text)}</text>')
        y += BAR_HEIGHT
    if panel.ideal:
        x = left + plot_width * panel.ideal / top
        rows.append(
            f'<line x1="{x:.1f}" y1="{first}" x2="{x:.1f}" y2="{y}" stroke="{IDEAL_COLOUR}" '
            'stroke-width="2" stroke-dasharray="4 3"/>'
        )
        if panel.ideal_label:
            rows.append(
                f'<text x="{left}" y="{y + 14}" fill="{IDEAL_COLOUR}">'
                f"- - {escape(panel.ideal_label)}</text>"
            )
            y += 18
    return y + 12


def _bar(stored: Any) -> Bar | None:
    """A stored bar in its role's colour, or in the colour and words of the check that
    judged it; None when it is not the shape the contract gives it."""
    if not isinstance(stored, dict):
        return None
    label, text, value = stored.get("label"), stored.get("text"), _number(stored.get("value"))
    if not isinstance(label, str) or not isinstance(text, str) or value is None:
        return None
    colour = ROLE_COLOURS.get(stored.get("role"), ROLE_COLOURS["measured"])
    outcome, check = stored.get("outcome"), stored.get("check")
    if outcome not in OUTCOME_COLOURS or not isinstance(check, str) or not check:
        return Bar(label, value, text, colour)
    return Bar(label, value, text, OUTCOME_COLOURS[outcome], check, OUTCOME_WORDS[outcome])


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 else None
