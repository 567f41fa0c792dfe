"""Counting a recorded grading: its verdict per lab, and how long each phase took.

The web-worker calls `observe_recorded_result` once per submission, when the result is
first recorded (a duplicate changes nothing, so it counts nothing). The phases come from
the timestamps the GradeResult carries; a phase whose ends are not both known (a request
refused before any container started) is not observed. Clocks of different hosts may
disagree by a little: a negative span counts as 0.
"""

from __future__ import annotations

from datetime import datetime

import contract
from portal.metrics.instruments import GRADING_PHASE_SECONDS, GRADING_VERDICTS


def observe_recorded_result(result: contract.GradeResult, recorded_at: datetime) -> None:
    """Count `result`'s verdict and observe its phases, the last ending at `recorded_at`."""
    # Every verdict of the lab exists from its first result on, at 0 until it happens:
    # Prometheus's increase() cannot see a series' first step (the alerts rely on it).
    for verdict in contract.VERDICTS:
        GRADING_VERDICTS.labels(lab=result.lab_id, verdict=verdict)
    GRADING_VERDICTS.labels(lab=result.lab_id, verdict=result.verdict).inc()
    times = result.times
    phases = {
        "queued": (times.queued, times.started),
        "container_start": (times.started, times.container_started),
        "run": (times.container_started, times.finished),
        "result_recorded": (times.finished, recorded_at.isoformat()),
    }
    for phase, (begun, ended) in phases.items():
        seconds = _seconds_between(begun, ended)
        if seconds is not None:
            GRADING_PHASE_SECONDS.labels(phase=phase).observe(seconds)


def _seconds_between(begun: str, ended: str) -> float | None:
    if not begun or not ended:
        return None
    try:
        span = datetime.fromisoformat(ended) - datetime.fromisoformat(begun)
    except (ValueError, TypeError):  # naive vs aware, or not a time at all: not measurable
        return None
    return max(0.0, span.total_seconds())
