"""Server-rendered SVG charts of the platform's grading activity.

Served as images (`<img>`), so they can run no script, and drawn from numbers and from
lab titles of the course content only: no text a user typed reaches them. Each chart has
a one-sentence summary for its alternative text; the page also shows the numbers in a
table.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from portal.platform_admin.activity import DayCount, LabPassRate

WIDTH = 640
PLOT_LEFT = 40
PLOT_TOP = 20
PLOT_HEIGHT = 160
BAR_COLOUR = "#3b5bdb"
PASS_COLOUR = "#15803d"
AXIS_COLOUR = "#6b7280"
LAB_ROW_HEIGHT = 24
LAB_LABEL_WIDTH = 230
NARROW_WIDTH = 360  # a phone's chart: drawn as wide as it is shown, so its text keeps its size


def submissions_summary(days: list[DayCount]) -> str:
    """The per-day chart in one sentence."""
    if not days:
        return "No days to show."
    total = sum(day.submissions for day in days)
    busiest = max(days, key=lambda day: day.submissions)
    text = f"{total} submissions from {days[0].day} to {days[-1].day}"
    if busiest.submissions:
        text += f"; busiest day {busiest.day} with {busiest.submissions}"
    return text + "."


def pass_rate_summary(labs: list[LabPassRate]) -> str:
    """The pass-rate chart in one sentence."""
    if not labs:
        return "No graded submissions yet."
    parts = [f"{lab.title}: {lab.rate:.0%} of {lab.graded} passed" for lab in labs]
    return "; ".join(parts) + "."


def render_submissions_svg(days: list[DayCount], narrow: bool = False) -> str:
    """Vertical bars, one per day, scaled to the busiest day; `narrow`: a phone's width."""
    width = NARROW_WIDTH if narrow else WIDTH
    top = max((day.submissions for day in days), default=0) or 1
    slot = (width - PLOT_LEFT - 10) / max(len(days), 1)
    base = PLOT_TOP + PLOT_HEIGHT
    parts = [
        f'<text x="0" y="{PLOT_TOP + 4}" fill="{AXIS_COLOUR}">{top}</text>',
        f'<text x="0" y="{base}" fill="{AXIS_COLOUR}">0</text>',
        f'<line x1="{PLOT_LEFT}" y1="{base}" x2="{width - 10}" y2="{base}" '
        f'stroke="{AXIS_COLOUR}"/>',
    ]
    for index, day in enumerate(days):
        height = PLOT_HEIGHT * day.submissions / top
        x = PLOT_LEFT + index * slot + 1
        if day.submissions:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{slot - 2:.1f}" '
                f'height="{height:.1f}" fill="{BAR_COLOUR}"><title>{day.day}: '
                f"{day.submissions}</title></rect>"
            )
    if days:
        parts.append(f'<text x="{PLOT_LEFT}" y="{base + 18}">{days[0].day}</text>')
        parts.append(
            f'<text x="{width - 10}" y="{base + 18}" text-anchor="end">{days[-1].day}</text>'
        )
    return _document(submissions_summary(days), base + 28, parts, width)


def render_pass_rate_svg(labs: list[LabPassRate], narrow: bool = False) -> str:
    """Horizontal bars, one per lab, from 0 to 100 %; `narrow`: a phone's width, with
    each lab's title above its bar."""
    left = 0 if narrow else LAB_LABEL_WIDTH
    plot_width = (NARROW_WIDTH if narrow else WIDTH) - left - 120
    parts: list[str] = []
    y = 10
    if not labs:
        parts.append(f'<text x="0" y="{y + 16}">No graded submissions yet.</text>')
        y += LAB_ROW_HEIGHT
    for lab in labs:
        width = max(2.0, plot_width * lab.rate)
        parts.append(f'<text x="0" y="{y + 16}">{escape(_clip(lab.title, 32))}</text>')
        if narrow:
            y += LAB_ROW_HEIGHT - 6
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{width:.1f}" '
            f'height="{LAB_ROW_HEIGHT - 6}" fill="{PASS_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{left + width + 6:.1f}" y="{y + 16}">'
            f"{lab.rate:.0%} ({lab.passed}/{lab.graded})</text>"
        )
        y += LAB_ROW_HEIGHT
    return _document(pass_rate_summary(labs), y + 10, parts, NARROW_WIDTH if narrow else WIDTH)


def _document(summary: str, height: int, parts: list[str], width: int = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="12">'
        f"<title>{escape(summary)}</title>{''.join(parts)}</svg>"
    )


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
