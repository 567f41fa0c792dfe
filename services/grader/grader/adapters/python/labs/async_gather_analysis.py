"""What the portal shows of an Async Gather result: findings and diagnoses (charts.py draws it).

Read from the driver's measurements (any number may be missing); the limits are the
judge's own (async_gather.py), so a diagnosis cannot disagree with the check it explains.
The source's imports are quoted only beside a measured block of the loop.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult, Diagnosis
from grader.adapters.python.labs.async_gather import (
    CONCURRENT_MAX_WALL_OVER_SLOWEST,
    FREE_P99_TICKS,
    shortest_delay_ms,
    variant_of,
)
from grader.adapters.python.labs.charts import async_gather_charts
from grader.adapters.python.labs.shown import (
    Cause,
    diagnosis,
)
from grader.adapters.python.prepare import read_source_facts
from grader.lab_kind import Analysis
from grader.numbers import duration_text, number_at, percent_text, times_text

BLOCKING_MODULES = ("time", "urllib", "requests", "http.client", "socket")


def async_gather_findings(m: dict[str, Any]) -> list[str]:
    """The wall time against the slowest and the sum, requests in flight, the loop's lag."""
    found = []
    student = variant_of(m, "fetch_all")
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
    found = [_loop_blocked(m, source), _in_flight(m, checks), _arrival_order(m)]
    inconclusive = verdict == "inconclusive" or any(check.inconclusive for check in checks)
    if inconclusive:
        found.insert(0, _host_busy(m))
    return [item for item in found if item is not None]


def _loop_blocked(m: dict[str, Any], source: str) -> Diagnosis | None:
    student = variant_of(m, "fetch_all")
    least = number_at(student, "lag_max_ms", "min")
    # What a busy host's run queue does not explain, when the driver read it: an honest
    # loop kept waiting for a CPU is not a blocked one.
    unexplained = number_at(student, "lag_unexplained_max_ms", "min")
    # The driver's witness, outside the student's process: its longest stall in each run.
    stall = number_at(student, "stall_max_ms", "min")
    shortest = shortest_delay_ms(m)
    tick = number_at(m, "tick_ms")
    if shortest is None or not tick:
        return None
    ticker_blocked = (
        least is not None and least >= shortest and (unexplained is None or unexplained >= shortest)
    )
    if ticker_blocked:
        ticks = number_at(student, "tick_ratio", "median")
        evidence = (
            f"The event loop was late by at least {duration_text(least)} in every run, "
            f"longer than the shortest request ({duration_text(shortest)})"
        )
        if ticks is not None:
            evidence += f"; the ticker woke {percent_text(ticks)} of the times it asked to."
        else:
            evidence += "."
    elif stall is not None and stall >= shortest:
        evidence = (
            f"Watched from outside, the event loop's thread stayed away from the loop for at "
            f"least {duration_text(stall)} at a time in every run, longer than the shortest "
            f"request ({duration_text(shortest)})."
        )
    else:
        return None
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


def _in_flight(m: dict[str, Any], checks: list[CheckResult]) -> Diagnosis | None:
    student = variant_of(m, "fetch_all")
    urls = int(number_at(m, "urls") or 0)
    peak = number_at(student, "max_in_flight", "max")
    over_sum = number_at(student, "wall_over_sum", "median")
    if peak is None or not urls or peak >= urls:
        return None
    # A peak short by a few on a host too slow to tell (the check not judged) is no cause.
    concurrently = next((item for item in checks if item.name == "runs_concurrently"), None)
    if peak > 1 and concurrently is not None and concurrently.inconclusive:
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
    student = variant_of(m, "fetch_all")
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
    reference = variant_of(m, "reference_gather")
    over = number_at(reference, "wall_over_slowest", "median")
    lag = number_at(reference, "lag_max_ms", "median")
    parts = []
    if over is not None and over > CONCURRENT_MAX_WALL_OVER_SLOWEST:
        parts.append(f"took {times_text(over)} the slowest request")
    tick = number_at(m, "tick_ms")
    if lag is not None and tick and lag > FREE_P99_TICKS * tick:
        parts.append(f"saw the loop late by up to {duration_text(lag)}")
    opening = number_at(reference, "arrival_span_ms", "max")
    urls = int(number_at(m, "urls") or 0)
    peak = number_at(variant_of(m, "fetch_all"), "max_in_flight", "max")
    if opening is not None and peak is not None and 1 < peak < urls:
        parts.append(f"took up to {duration_text(opening)} to open its {urls} requests")
    shown = (
        f"The grader's own gather, timed beside yours, {' and '.join(parts)}."
        if parts
        else "The grader marked its timing measurements as inconclusive."
    )
    # A short peak's span is judged less this wait (async_gather._span_beyond_the_wait).
    waited = number_at(variant_of(m, "fetch_all"), "run_queue_wait_ms", "max")
    if waited and peak is not None and 1 < peak < urls:
        shown += (
            f" Your event loop's thread waited for a CPU for up to {duration_text(waited)} "
            "during a call."
        )
    return diagnosis(
        Cause.HOST_BUSY,
        "The grading machine was too busy to time the requests reliably.",
        shown,
        "The timings say more about the machine than about your code. Submit again later: "
        "an inconclusive result is measured again and never counts against you.",
        "the loop can only switch tasks at an await",
    )


def analyse_async_gather(
    verdict: str, checks: list[CheckResult], measurements: dict[str, Any], source: str
) -> Analysis:
    """The wall time and the loop's lag in sentences and in two panels, and their causes."""
    return Analysis(
        findings=tuple(async_gather_findings(measurements)),
        diagnoses=tuple(diagnose_async_gather(verdict, checks, measurements, source)),
        charts=async_gather_charts(measurements),
    )
