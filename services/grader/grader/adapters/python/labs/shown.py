"""What the Python labs' analyses share: the causes A.D.A. can name, and chart bars.

A diagnosis names one cause, shows the numbers that point to it, says what to do, and
names the course's words for it (the portal's offline engine cites the step that teaches
them). The causes' values cross to the portal in GradeResult (`Diagnosis.cause`): a value
is never renamed. A chart bar carries the check that judged its number and that check's
outcome (`measurements["judged"]`), so the chart cannot disagree with the check list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from contract import ChartBar, Diagnosis

OUTCOMES = ("held", "did_not_hold", "not_judged")


class Cause(StrEnum):
    """The causes A.D.A. can diagnose in the Python labs."""

    WRONG_TOTAL = "wrong_total"
    WORK_IN_MAIN_PROCESS = "work_in_main_process"
    THREADS_TOOK_TURNS = "threads_took_turns"
    FEW_BUSY_PROCESSES = "few_busy_processes"
    DUPLICATED_WORK = "duplicated_work"
    PROCESS_START_UP = "process_start_up"
    HOST_BUSY = "host_busy"
    ONE_REQUEST_AT_A_TIME = "one_request_at_a_time"
    FEW_REQUESTS_IN_FLIGHT = "few_requests_in_flight"
    LOOP_BLOCKED = "loop_blocked"
    ARRIVAL_ORDER = "arrival_order"


def diagnosis(cause: Cause, summary: str, evidence: str, advice: str, topic: str) -> Diagnosis:
    """The contract's Diagnosis of `cause`, whose identifier travels as a plain string."""
    return Diagnosis(cause.value, summary, evidence, advice, topic)


def judged_bar(label: str, value: float, text: str, role: str, judged: Any = None) -> ChartBar:
    """A bar, with the check that judged it and that check's outcome when one did."""
    check = judged.get("check") if isinstance(judged, dict) else None
    outcome = judged.get("outcome") if isinstance(judged, dict) else None
    if not isinstance(check, str) or outcome not in OUTCOMES:
        return ChartBar(label, value, text, role)
    return ChartBar(label, value, text, role, check, outcome)


def judged_of(measurements: dict[str, Any]) -> dict[str, Any]:
    """`measurements["judged"]`, or an empty dict."""
    judged = measurements.get("judged")
    return judged if isinstance(judged, dict) else {}


def drawable(value: float | None) -> float | None:
    """A number a bar can show: a length is never negative."""
    return value if value is not None and value >= 0 else None


def ratio_text(ratio: float) -> str:
    """`1.7x`, `1.16x`, `2x`: as short as the number allows."""
    return f"{round(ratio, 2):g}x"
