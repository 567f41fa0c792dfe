"""Numbers from a submission's measurements, read defensively and said for a student.

Any number may be missing or null (a failed run, an older grader, a noisy host), and a
spread may come as {median, min, max} or as a bare number; a boolean is never a number.
"""

from __future__ import annotations

from typing import Any


def number_at(data: Any, *path: str) -> float | None:
    """The number at `path` inside nested dicts, or None (a failed run leaves nulls)."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    if isinstance(data, bool) or not isinstance(data, int | float):
        return None
    return float(data)


def median_at(data: Any, *path: str) -> float | None:
    """The median of the spread at `path`, or the bare number there, or None."""
    spread = number_at(data, *path, "median")
    return spread if spread is not None else number_at(data, *path)


def ms_text(value: float) -> str:
    """A duration: "590 ms", "1.25 s"."""
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def mib_text(value: float) -> str:
    """A size in MiB: "36.0 MiB"."""
    return f"{value / (1024 * 1024):.1f} MiB"


def times_text(value: float) -> str:
    """A ratio: "0.97x"."""
    return f"{value:.2f}x"
