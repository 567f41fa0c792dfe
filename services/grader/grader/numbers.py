"""Measured numbers as A.D.A. says them, and read defensively from a report's measurements.

The harness's measurements are nested dicts in which any number may be missing (null) when
a run failed; `number_at` walks them without raising, so a lab's judge says "not measured"
instead of crashing the grader.
"""

from __future__ import annotations

from typing import Any


def number_at(data: Any, *path: str) -> float | None:
    """The number at `path` inside nested dicts, or None when absent or not a number."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    if isinstance(data, bool) or not isinstance(data, int | float):
        return None
    return float(data)


def median_at(data: Any, *path: str) -> float | None:
    """The median of the spread at `path`, or the bare number there (older results), or None."""
    spread = number_at(data, *path, "median")
    return spread if spread is not None else number_at(data, *path)


def duration_text(ms: float) -> str:
    """`0.4 ms`, `12 ms`, `1.25 s`: a stall or a wall time, to a sensible precision."""
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


def times_text(ratio: float) -> str:
    """`1.53x`."""
    return f"{ratio:.2f}x"


def percent_text(share: float) -> str:
    """`77%`, or `0.4%` below 1%."""
    percent = share * 100
    return f"{percent:.1f}%" if percent < 1 else f"{percent:.0f}%"


def size_text(count: float) -> str:
    """`12.0 MiB`, `640 KiB`."""
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MiB"
    return f"{count / 1024:.0f} KiB"


def mib_text(count: float) -> str:
    """`0.5 MiB`, `36.0 MiB`: sizes compared side by side, all in one unit."""
    return f"{count / (1024 * 1024):.1f} MiB"


def cpus_text(cpus: float) -> str:
    """`2-CPU`, `1.5-CPU`: a quota, as an adjective."""
    return f"{cpus:g}-CPU"
