"""Small statistics for lab measurements: a spread (median, min, max) and a ratio.

Used by the labs' summaries (labs/<kind>/lab.py, loaded in the harness). None stands for
"not measured" and is skipped.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def spread(values: Iterable[float | None], digits: int = 1) -> dict[str, float] | None:
    """{median, min, max} of the values that were measured, or None when none was."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return {
        "median": round(statistics.median(present), digits),
        "min": round(min(present), digits),
        "max": round(max(present), digits),
    }


def ratio(top: float | None, bottom: float | None, digits: int = 3) -> float | None:
    """top / bottom, or None when either is missing or bottom is not positive."""
    if top is None or bottom is None or bottom <= 0:
        return None
    return round(top / bottom, digits)
