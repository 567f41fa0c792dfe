"""The fields of a Python harness report beyond the runner's envelope: none are read.

The Python labs' run-time evidence is in `measurements`. Older Python harnesses wrote
Node's `observations` (worker threads and their messages) as zeros, because the report's
schema required them: they are accepted and ignored, but a malformed one still makes the
whole report untrusted, as any malformed field does (a program that forged it gets no
verdict from it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grader.report import ReportError, checked_count

# Node's counts, in reports of Python harnesses that still write them (all zeros).
LEGACY_OBSERVATIONS = (
    "workers_created",
    "workers_online",
    "messages_to_main",
    "messages_to_worker",
)


def read_details(details: Mapping[str, Any]) -> None:
    """Check the fields a Python harness may write beyond the envelope, or raise ReportError."""
    observations = details.get("observations")
    if observations is None and "observations" not in details:
        return None
    if not isinstance(observations, dict):
        raise ReportError("observations is malformed")
    for name in LEGACY_OBSERVATIONS:
        checked_count(observations.get(name, 0), name)
    return None
