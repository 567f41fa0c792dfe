"""The few measurements a run shows: wall time, and what the lab kind picks from the report.

A grading report holds dozens of numbers for the checks; a student who pressed "Run" wants
the ones the lesson talks about (how long it took, how long the main thread stalled, how
much faster the workers were, how much memory it took). Each is sent ready to show (label,
value, unit and the text the student reads), in display order, so the portal never needs
to know a lab kind or how to format a number. A number the run did not produce is left out.
Each lab kind picks its own (LabKind.run_measurements) with the helpers here.
"""

from __future__ import annotations

from typing import Any

from grader.lab_kind import LabKind
from grader.numbers import duration_text, size_text
from grader.report import HarnessReport

Shown = dict[str, Any]


def main_measurements(kind: LabKind, report: HarnessReport | None) -> dict[str, Shown]:
    """name -> {label, value, unit, text}, wall time first, then the lab's own numbers."""
    if report is None:
        return {}
    shown = {"wall_ms": milliseconds_shown("Wall time", report.wall_ms)}
    for name, entry in kind.run_measurements(report.measurements).items():
        if entry is not None:
            shown[name] = entry
    return shown


def milliseconds_shown(label: str, value: float | None) -> Shown | None:
    """A duration in ms, ready to show; None when the run did not measure it."""
    if value is None:
        return None
    return {"label": label, "value": round(value, 3), "unit": "ms", "text": duration_text(value)}


def bytes_shown(label: str, value: float | None) -> Shown | None:
    """A size in bytes, ready to show; None when the run did not measure it."""
    if value is None:
        return None
    return {"label": label, "value": int(value), "unit": "bytes", "text": size_text(value)}
