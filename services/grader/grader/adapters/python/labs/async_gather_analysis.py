"""What the portal shows of an Async Gather result: findings, diagnoses, charts, a Run's numbers.

Read from the driver's measurements (any number may be missing); the limits are the
judge's own (async_gather.py), so a diagnosis cannot disagree with the check it explains.
The source's imports are quoted only beside a measured block of the loop.
"""

from __future__ import annotations

from typing import Any

from contract import Chart, CheckResult, Diagnosis
from grader.adapters.python.labs.async_gather import (
    CONCURRENT_MAX_WALL_OVER_SLOWEST,
    FREE_P99_TICKS,
    shortest_delay_ms,
)
from grader.adapters.python.labs.shown import (
    Cause,
    diagnosis,
    drawable,
    judged_bar,
    judged_of,
)
from grader.adapters.python.prepare import read_source_facts
from grader.lab_kind import Analysis
from grader.numbers import duration_text, number_at, percent_text, times_text
from grader.trial_measurements import Shown, milliseconds_shown

WALL_TITLE = "fetch_all()'s wall time against the slowest request and the sum"
LAG_TITLE = "Event loop's longest lateness while the requests ran"
BLOCKING_MODULES = ("time", "urllib", "requests", "http.client", "socket")


def _variant(m: dict[str, Any], name: str) -> dict[str, Any]:
    variants = m.get("variants") if isinstance(m.get("variants"), dict) else {}
    variant = variants.get(name)
    return variant if isinstance(variant, dict) else {}


def async_gather_findings(m: dict[str, Any]) -> list[str]:
    """The wall time against the slowest and the sum, requests in flight, the loop's lag."""
    found = []
    student = _variant(m, "fetch_all")
    urls = int(number_at(m, "urls") or 0)
    wall = number_at(student, "wall_ms", "median")
    slowest = number_at(m, "slowest_ms")
    total = number_at(m, "sum_ms")
    peak = number_at(student, "max_in_flight", "max")
    if wall is not None and slowest and total:
        found.append(
            f"fetch_all() took {duration_text(wall)} for {urls} URLs: "
            f"{times_text(wall / slowest)} the slowest request ({duration_text(slowest)}) and "
            f"{percent_text(wall / total)} of the sum of their delays ({duration_text(total)})."
        )
    if peak is not None:
        found.append(f"The server saw at most {int(peak)} of your {urls} requests open at once.")
    worst = number_at(student, "lag_max_ms", "median")
    tick = number_at(m, "tick_ms")
    if worst is not None and tick:
        found.append(
            f"A ticker asking to wake every {duration_text(tick)} was late by up to "
            f"{duration_text(worst)} while fetch_all() ran."
        )
    return found


def explain_async_gather(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """A.D.A. quotes the wall time, the requests in flight and the loop's lateness."""
    if measurements.get("problem") is not None:
        return []
    return async_gather_findings(measurements)


def diagnose_async_gather(
    verdict: str, checks: list[CheckResult], m: dict[str, Any], source: str
) -> list[Diagnosis]:
    """The causes the numbers point to, most telling first."""
    if m.get("problem") is not None:
        return []
    found = [_loop_blocked(m, source), _in_flight(m), _arrival_order(m)]
    inconclusive = verdict == "inconclusive" or any(check.inconclusive for check in checks)
    if inconclusive:
        found.insert(0, _host_busy(m))
    return [item for item in found if item is not None]


def _loop_blocked(m: dict[str, Any], source: str) -> Diagnosis | None:
    student = _variant(m, "fetch_all")
    least = number_at(student, "lag_max_ms", "min")
    shortest = shortest_delay_ms(m)
    tick = number_at(m, "tick_ms")
    if least is None or shortest is None or not tick or least < shortest:
        return None
    ticks = number_at(student, "tick_ratio", "median")
    evidence = (
        f"The event loop was late by at least {duration_text(least)} in every run, longer "
        f"than the shortest request ({duration_text(shortest)})"
    )
    if ticks is not None:
        evidence += f"; the ticker woke {percent_text(ticks)} of the times it asked to."
    else:
        evidence += "."
    facts = read_source_facts(source)
    imported = sorted(
        name
        for name in facts.imports
        if any(name == module or name.startswith(f"{module}.") for module in BLOCKING_MODULES)
    )
    if imported:
        evidence += f" Your code imports {', '.join(imported)}."
    return diagnosis(
        Cause.LOOP_BLOCKED,
        "A synchronous call blocked the event loop.",
        evidence,
        "The loop can switch tasks only at an await. Replace time.sleep with "
        "`await asyncio.sleep`, fetch with `await lab_http.fetch`, and move a call that "
        "must block to `await asyncio.to_thread(...)`.",
        "a synchronous call blocks the whole loop",
    )


def _in_flight(m: dict[str, Any]) -> Diagnosis | None:
    student = _variant(m, "fetch_all")
    urls = int(number_at(m, "urls") or 0)
    peak = number_at(student, "max_in_flight", "max")
    over_sum = number_at(student, "wall_over_sum", "median")
    if peak is None or not urls or peak >= urls:
        return None
    if peak <= 1:
        sum_text = f" and took {percent_text(over_sum)} of the sum" if over_sum else ""
        return diagnosis(
            Cause.ONE_REQUEST_AT_A_TIME,
            "Your requests ran one after another.",
            f"The server never had more than one of your {urls} requests open{sum_text}.",
            "An `await` inside a loop waits for each request before starting the next. "
            "Create all the coroutines first and await them together with "
            "`asyncio.gather(*...)` or a `TaskGroup`.",
            "asyncio.gather runs them all concurrently",
        )
    return diagnosis(
        Cause.FEW_REQUESTS_IN_FLIGHT,
        "Only some of your requests were open at the same time.",
        f"The server saw at most {int(peak)} of your {urls} requests open at once.",
        "This lab asks for every request at once: start them all before awaiting any, "
        "without a semaphore or batches.",
        "asyncio.gather runs them all concurrently",
    )


def _arrival_order(m: dict[str, Any]) -> Diagnosis | None:
    student = _variant(m, "fetch_all")
    if student.get("correct") is not False or student.get("bodies_present") is not True:
        return None
    return diagnosis(
        Cause.ARRIVAL_ORDER,
        "The bodies came back in the order the responses arrived.",
        "Every body was there, but not in the place of its URL.",
        "asyncio.gather returns results in the order of its arguments; with as_completed, "
        "remember each URL's index and put its body there.",
        "returns their results in the order of its arguments",
    )


def _host_busy(m: dict[str, Any]) -> Diagnosis:
    reference = _variant(m, "reference_gather")
    over = number_at(reference, "wall_over_slowest", "median")
    lag = number_at(reference, "lag_max_ms", "median")
    parts = []
    if over is not None and over > CONCURRENT_MAX_WALL_OVER_SLOWEST:
        parts.append(f"took {times_text(over)} the slowest request")
    tick = number_at(m, "tick_ms")
    if lag is not None and tick and lag > FREE_P99_TICKS * tick:
        parts.append(f"saw the loop late by up to {duration_text(lag)}")
    shown = (
        f"The grader's own gather, timed beside yours, {' and '.join(parts)}."
        if parts
        else "The grader marked its timing measurements as inconclusive."
    )
    return diagnosis(
        Cause.HOST_BUSY,
        "The grading machine was too busy to time the requests reliably.",
        shown,
        "The timings say more about the machine than about your code. Submit again later: "
        "an inconclusive result is measured again and never counts against you.",
        "the loop can only switch tasks at an await",
    )


def async_gather_charts(m: dict[str, Any]) -> tuple[Chart, ...]:
    """The wall time beside the slowest request, the grader's gather and the sum; then the
    loop's longest lateness beside the grader's gather's, against the shortest delay."""
    judged = judged_of(m)
    student, reference = _variant(m, "fetch_all"), _variant(m, "reference_gather")
    charts = []
    wall = drawable(number_at(student, "wall_ms", "median"))
    slowest = drawable(number_at(m, "slowest_ms"))
    total = drawable(number_at(m, "sum_ms"))
    if wall is not None and slowest and total:
        bars = [
            judged_bar("Slowest request", slowest, duration_text(slowest), "baseline"),
            judged_bar(
                "Your fetch_all()",
                wall,
                duration_text(wall),
                "measured",
                judged.get("variants.fetch_all.wall_ms"),
            ),
        ]
        theirs = drawable(number_at(reference, "wall_ms", "median"))
        if theirs is not None:
            bars.append(judged_bar("Grader's gather", theirs, duration_text(theirs), "baseline"))
        bars.append(judged_bar("Sum of the delays", total, duration_text(total), "baseline"))
        charts.append(Chart(WALL_TITLE, "ms", tuple(bars)))
    lag = drawable(number_at(student, "lag_max_ms", "median"))
    if lag is not None:
        bars = [
            judged_bar(
                "Your fetch_all()",
                lag,
                duration_text(lag),
                "measured",
                judged.get("variants.fetch_all.lag_max_ms"),
            )
        ]
        theirs = drawable(number_at(reference, "lag_max_ms", "median"))
        if theirs is not None:
            bars.append(judged_bar("Grader's gather", theirs, duration_text(theirs), "baseline"))
        shortest = shortest_delay_ms(m) or 0.0
        label = f"Shortest request: {duration_text(shortest)}" if shortest else ""
        charts.append(Chart(LAG_TITLE, "ms", tuple(bars), shortest, label))
    return tuple(charts)


def analyse_async_gather(
    verdict: str, checks: list[CheckResult], measurements: dict[str, Any], source: str
) -> Analysis:
    """The wall time and the loop's lag in sentences and in two panels, and their causes."""
    return Analysis(
        findings=tuple(async_gather_findings(measurements)),
        diagnoses=tuple(diagnose_async_gather(verdict, checks, measurements, source)),
        charts=async_gather_charts(measurements),
    )


def async_gather_run_measurements(m: dict[str, Any]) -> dict[str, Shown | None]:
    """What a Run shows: fetch_all()'s time beside the slowest and the sum, and the lag."""
    student = _variant(m, "fetch_all")
    peak = number_at(student, "max_in_flight", "max")
    return {
        "fetch_all_ms": milliseconds_shown(
            "Your fetch_all()", number_at(student, "wall_ms", "median")
        ),
        "slowest_ms": milliseconds_shown("The slowest request", number_at(m, "slowest_ms")),
        "sum_ms": milliseconds_shown("All the delays added up", number_at(m, "sum_ms")),
        "lag_max_ms": milliseconds_shown(
            "Event loop's longest lateness", number_at(student, "lag_max_ms", "median")
        ),
        "max_in_flight": None
        if peak is None
        else {
            "label": "Requests open at once (most)",
            "value": peak,
            "unit": "",
            "text": f"{int(peak)}",
        },
    }
