"""Async Gather: fetch every URL at once on one event loop, never blocking it.

The driver (services/sandbox-image-python/labs/async-gather/, whose README.md states the
task and what each number means) awaits the student's `fetch_all(urls)` and its own
`asyncio.gather` of the same kind of URLs, repeated with fresh URLs, against a slow
server on the sandbox's loopback. The server counts the requests in flight; a ticker task
in the event loop records how late it wakes. The checks compare ratios, structure first
and the clock second:

- `correct_result`: the bodies, in the order of `urls`, every URL asked exactly once;
- `runs_concurrently`: every URL in flight at the same moment (the server's count), and
  the wall time within CONCURRENT_MAX_WALL_OVER_SLOWEST of the slowest request; one
  request at a time fails whatever the clock says; some requests missing from the peak,
  or a slow clock, fail only when the driver's own gather, timed beside it, did better;
  otherwise inconclusive. A slow clock also needs the loop's thread not to have waited
  for a CPU as long as the shortest request in every run (then the host explains it). A
  missing request needs the server to have received the student's requests, in every
  run, over a span longer than the driver's gather ever took to open all of its own by
  both the shortest delay and that opening again (_held_back), once the most the loop's
  thread waited for a CPU during a call is taken off the span (_span_beyond_the_wait): a
  limit (a semaphore, batches) holds requests back until answers come, while a slow start
  (a cold first call, a busy host, gVisor's costly system calls) only stretches the
  opening, and an opening longer than the shortest delay loses a request from the peak
  however honest the code. The wait is taken off rather than excusing the peak outright:
  it is counted over the whole call, which a limit makes two or three times longer than a
  gather, so on a busy host it reaches the shortest delay for a semaphore of five however
  plainly its span shows the answers it waited for;
- `loop_never_blocked`: held when the ticker's p99 lateness stays within
  FREE_P99_TICKS ticks and its longest lateness below the shortest request's delay, and
  the driver's witness (which watches the loop's thread from outside the student's
  process, where the ticker's figures could be rewritten) saw no stall that long; not
  held when either saw the loop held for at least the shortest delay in every run *beyond
  what its thread waited for a CPU* (a busy host delays a free loop on the run queue, a
  synchronous call blocks it off the queue) while the driver's own gather kept it free
  (or, by the ticker, was late by far less: _clearly_beyond its most, as under gVisor,
  which has no run-queue reading and where the gather's loop was late by 11-83 ms on a
  host loaded 0.4-2.5), or
  when the student's process refused to be watched; otherwise inconclusive.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult
from grader.adapters.python.labs.driven import plural, problem_check
from grader.adapters.python.prepare import SourceFacts
from grader.lab_kind import NOT_RUN, skipped
from grader.numbers import duration_text, number_at, percent_text, times_text
from grader.report import HarnessReport

CONCURRENT_MAX_WALL_OVER_SLOWEST = 1.5  # gather: 1.03-1.1; one at a time: urls / 2 or more
TRAILS_REFERENCE = 0.6  # the driver's gather's wall over yours, at most this in every run
FREE_P99_TICKS = 2.5  # p99 lateness over the tick: a free loop is late by a few ms
REFERENCE_FREE_SHARE = 0.5  # the driver's gather's longest lateness, of the shortest delay
CHECK_NAMES = ("correct_result", "runs_concurrently", "loop_never_blocked")
BLOCKED_ADVICE = (
    "a synchronous call held the event loop's only thread (time.sleep, urllib, requests, "
    "or a long computation). Await asyncio.sleep and lab_http.fetch, or move a blocking "
    "call to asyncio.to_thread."
)
FUNCTIONS = "async def fetch_all(urls)"


def judge_async_gather(
    facts: SourceFacts, report: HarnessReport | None, config: dict[str, Any]
) -> list[CheckResult]:
    """The lab's checks, from the driver's measurements, in the order the course lists them."""
    if report is None or "problem" not in report.measurements:
        return [CheckResult(name, False, NOT_RUN) for name in CHECK_NAMES]
    m = report.measurements
    correct = _correct_result(m)
    student = variant_of(m, "fetch_all")
    # The right bodies in the wrong order were still fetched: their timing says how.
    if not correct.passed and not student.get("bodies_present"):
        return [correct, *(skipped(name, correct) for name in CHECK_NAMES[1:])]
    return [correct, _runs_concurrently(m), _loop_never_blocked(m)]


def variant_of(m: dict[str, Any], name: str) -> dict[str, Any]:
    """The variant `name` of the measurements (fetch_all, reference_gather), or {}."""
    variants = m.get("variants") if isinstance(m.get("variants"), dict) else {}
    variant = variants.get(name)
    return variant if isinstance(variant, dict) else {}


def shortest_delay_ms(m: dict[str, Any]) -> float | None:
    """The shortest request's delay: the driver spreads the delays evenly from the shortest
    to the slowest, so their sum is urls x (shortest + slowest) / 2."""
    urls = number_at(m, "urls")
    slowest = number_at(m, "slowest_ms")
    total = number_at(m, "sum_ms")
    if not urls or slowest is None or total is None:
        return None
    shortest = 2 * total / urls - slowest
    return shortest if shortest > 0 else None


def _correct_result(m: dict[str, Any]) -> CheckResult:
    problem = problem_check(m, "correct_result", FUNCTIONS)
    if problem is not None:
        return problem
    student = variant_of(m, "fetch_all")
    urls = int(number_at(m, "urls") or 0)
    runs = int(number_at(student, "runs") or 0)
    if student.get("error"):
        return CheckResult("correct_result", False, f"fetch_all() raised {student['error']}.")
    if student.get("correct") is not True and student.get("bodies_present") is True:
        return CheckResult(
            "correct_result",
            False,
            f"fetch_all() returned the right {urls} bodies, but not in the order of `urls`: "
            "in the order the responses arrived. Return body i for urls[i] (asyncio.gather "
            "keeps the order of its arguments; as_completed does not).",
        )
    if student.get("correct") is not True or not runs:
        return CheckResult(
            "correct_result",
            False,
            "fetch_all() did not return the bodies of the URLs: return a list with the body "
            "of each URL, `await lab_http.fetch(url)`, in the order of `urls`.",
        )
    low = number_at(student, "requests", "min")
    high = number_at(student, "requests", "max")
    if low != urls or high != urls:
        asked = int(high if high is not None and high != urls else low or 0)
        return CheckResult(
            "correct_result",
            False,
            f"The server received {asked} requests for {plural(urls, 'URL')} in a call: "
            "fetch each URL exactly once.",
        )
    return CheckResult(
        "correct_result",
        True,
        f"fetch_all() returned the {urls} bodies in the order of `urls` in all {runs} runs, "
        "each URL asked once.",
    )


def _runs_concurrently(m: dict[str, Any]) -> CheckResult:
    student, reference = variant_of(m, "fetch_all"), variant_of(m, "reference_gather")
    urls = int(number_at(m, "urls") or 0)
    peak = number_at(student, "max_in_flight", "max")
    over_slowest = number_at(student, "wall_over_slowest", "median")
    wall = number_at(student, "wall_ms", "median")
    slowest = number_at(m, "slowest_ms")
    total = number_at(m, "sum_ms")
    if peak is None or over_slowest is None or wall is None or not slowest or not total:
        return CheckResult("runs_concurrently", False, "Not measured.")
    took = (
        f"fetch_all() took {duration_text(wall)} for {plural(urls, 'URL')} whose slowest "
        f"answers after {duration_text(slowest)} and whose delays add up to "
        f"{duration_text(total)}"
    )
    if peak <= 1 and urls > 1:
        least_lag = number_at(student, "lag_max_ms", "min")
        shortest = shortest_delay_ms(m)
        how = (
            " Your event loop was blocked meanwhile (see loop_never_blocked): a synchronous "
            "call runs one request at a time however it is gathered; await lab_http.fetch."
            if least_lag is not None and shortest is not None and least_lag >= shortest
            else " Start them all at once (asyncio.gather or a TaskGroup), then await them "
            "together."
        )
        return CheckResult(
            "runs_concurrently",
            False,
            f"{took}: the server never had more than one of your requests open at a time, "
            f"so each started only after the previous one was answered.{how}",
        )
    reference_peak = number_at(reference, "max_in_flight", "min")
    shortest = shortest_delay_ms(m)
    host_held = _host_held_the_loop(student, shortest)
    if peak < urls:
        some = f"at most {int(peak)} of your {urls} requests were open at once"
        if reference_peak is None or reference_peak < urls:
            return _not_judged(
                f"{some}, and the grader's own gather, timed beside yours, also had only "
                f"{int(reference_peak or 0)}"
            )
        span = number_at(student, "arrival_span_ms", "min")
        waited = number_at(student, "run_queue_wait_ms", "max")
        opening = number_at(reference, "arrival_span_ms", "max")
        unexplained = _span_beyond_the_wait(span, waited)
        if not _held_back(unexplained, opening, shortest):
            of_it = (
                f", {duration_text(waited)} of it the loop's thread may have spent waiting for "
                "a CPU"
                if waited
                else ""
            )
            return _not_judged(
                f"{some}, but the server received them over "
                f"{duration_text(span or 0)}{of_it}, not clearly longer than this machine's "
                f"own gather took to open all {urls} ({duration_text(opening or 0)}) with the "
                f"shortest request ({duration_text(shortest or 0)}) on top: a slow start, not "
                "a limit, can explain it"
            )
        beyond = f", {duration_text(unexplained)} of it beyond any wait for a CPU" if waited else ""
        return CheckResult(
            "runs_concurrently",
            False,
            f"{took}: {some}, and the server received them over at least "
            f"{duration_text(span)}{beyond}, while the grader's own gather had all {urls} "
            f"open within {duration_text(opening)}: some of yours waited for answers before "
            "they were sent. Start every request before you await any.",
        )
    if over_slowest <= CONCURRENT_MAX_WALL_OVER_SLOWEST:
        return CheckResult(
            "runs_concurrently",
            True,
            f"{took}: all {urls} were open at the same moment, and the total was "
            f"{times_text(over_slowest)} the slowest request, "
            f"{percent_text(wall / total)} of the sum.",
        )
    reference_over = number_at(reference, "wall_over_slowest", "median")
    pace_best = number_at(m, "fetch_all_vs_reference", "max")
    if (
        reference_over is not None
        and reference_over <= CONCURRENT_MAX_WALL_OVER_SLOWEST
        and pace_best is not None
        and pace_best <= TRAILS_REFERENCE
        and not host_held
    ):
        return CheckResult(
            "runs_concurrently",
            False,
            f"{took}: all {urls} were open at once, yet the total was "
            f"{times_text(over_slowest)} the slowest request, while the grader's own gather "
            f"took {times_text(reference_over)} of it in the same runs. Something else held "
            "your event loop between the requests (see loop_never_blocked).",
        )
    return _not_judged(
        f"all {urls} were open at once and the total was {times_text(over_slowest)} the "
        "slowest request, but the grader's own gather, timed beside yours, was "
        f"{times_text(reference_over or 0)} of it"
    )


def _held_back(span: float | None, opening: float | None, shortest: float | None) -> bool:
    """Whether the student's requests reached the server over a span (their least over the
    runs, less the loop's wait for a CPU: _span_beyond_the_wait) that the machine's
    slowness does not explain: longer than the driver's gather ever took to open all of its
    own (`opening`, its most), by the shortest delay (a request held until an answer came
    waited at least that) and by the opening again (a slow start's spread grows with its
    length)."""
    if span is None or opening is None or shortest is None:
        return False
    return _clearly_beyond(span, opening, shortest)


def _clearly_beyond(value: float, reference: float, shortest: float) -> bool:
    """Whether the student's figure (its least over the runs) passes the grader's gather's
    (its most) by the shortest delay and by the gather's figure again: on a busy host an
    honest figure spreads with its length, so a margin of the shortest delay alone would
    fail a slow but honest run."""
    return value - reference >= max(shortest, reference)


def _span_beyond_the_wait(span: float | None, waited: float | None) -> float | None:
    """The least arrival span less the most the loop's thread waited for a CPU during a call
    (the driver's schedstat reading, its most over the runs): what a busy host cannot have
    stretched, since an honest gather's opening grows only by the waits that fall in it.
    The span as it is where schedstat is missing (gVisor, older images)."""
    if span is None or waited is None:
        return span
    return max(0.0, span - waited)


def _host_held_the_loop(student: dict[str, Any], shortest: float | None) -> bool:
    """Whether, in every run, the loop's thread waited for a CPU at least as long as the
    shortest request takes: long enough for the host alone to hold back a request or the
    clock (the driver's schedstat reading; False without it, as older images measured)."""
    waited = number_at(student, "run_queue_wait_ms", "min")
    return waited is not None and shortest is not None and waited >= shortest


def _not_judged(what: str) -> CheckResult:
    return CheckResult(
        "runs_concurrently",
        False,
        f"Not judged: {what}: this machine was too busy with other work to tell. It is "
        "measured again; this attempt does not count.",
        inconclusive=True,
    )


def _loop_never_blocked(m: dict[str, Any]) -> CheckResult:
    student, reference = variant_of(m, "fetch_all"), variant_of(m, "reference_gather")
    tick = number_at(m, "tick_ms")
    shortest = shortest_delay_ms(m)
    p99 = number_at(student, "lag_p99_ms", "median")
    worst = number_at(student, "lag_max_ms", "median")
    least = number_at(student, "lag_max_ms", "min")
    if not tick or shortest is None or p99 is None or worst is None or least is None:
        return CheckResult("loop_never_blocked", False, "Not measured.")
    if student.get("loop_witness") == "refused":
        return CheckResult(
            "loop_never_blocked",
            False,
            "The grader could not watch your event loop: the code made its process refuse "
            "to be observed (prctl PR_SET_DUMPABLE, or a similar setting). Leave the "
            "process's settings as they are.",
        )
    witnessed = _witnessed_stall(student, reference, shortest)
    if witnessed is not None:
        return witnessed
    lateness = (
        f"A ticker asking to wake every {duration_text(tick)} was late by up to "
        f"{duration_text(worst)} (p99 {duration_text(p99)}) while fetch_all() ran"
    )
    stall = number_at(student, "stall_max_ms", "median")
    seen_free = stall is None or stall < shortest
    if p99 <= FREE_P99_TICKS * tick and worst < shortest and seen_free:
        return CheckResult(
            "loop_never_blocked",
            True,
            f"{lateness}: the event loop kept turning, far below the shortest request's "
            f"{duration_text(shortest)}.",
        )
    blocked_by_code, reference_worst = _blocked_by_the_code(student, reference, shortest)
    if blocked_by_code:
        ticks = number_at(student, "tick_ratio", "median")
        woke = (
            f"; it woke only {percent_text(ticks)} of the times it asked"
            if ticks is not None and ticks < 0.5
            else ""
        )
        return CheckResult(
            "loop_never_blocked",
            False,
            f"{lateness}, at least {duration_text(least)} in every run, longer than the "
            f"shortest request ({duration_text(shortest)}){woke}, while beside the grader's "
            f"own gather it was late by at most {duration_text(reference_worst or 0)}: "
            f"{BLOCKED_ADVICE}",
        )
    beside = (
        f"; beside the grader's own gather it was late by up to {duration_text(reference_worst)}"
        if reference_worst is not None
        else ""
    )
    return CheckResult(
        "loop_never_blocked",
        False,
        f"Not judged: {lateness}{beside}: this machine was too busy with other work to tell "
        "a blocked loop from a slow host. It is measured again; this attempt does not count.",
        inconclusive=True,
    )


def _witnessed_stall(
    student: dict[str, Any], reference: dict[str, Any], shortest: float
) -> CheckResult | None:
    """The failure the driver's witness proves on its own, or None.

    The witness (loop_witness.py in the image) watched the loop's thread from outside the
    student's process: when it stayed away from its poll, beyond its run-queue wait, for
    at least the shortest request in every run while the grader's own gather kept it free,
    the code blocked the loop, whatever the ticker inside the process says.
    """
    least = number_at(student, "stall_max_ms", "min")
    reference_stall = number_at(reference, "stall_max_ms", "median")
    if least is None or reference_stall is None:
        return None
    if least < shortest or reference_stall >= REFERENCE_FREE_SHARE * shortest:
        return None
    return CheckResult(
        "loop_never_blocked",
        False,
        f"Watched from outside, the event loop's thread stayed away from the loop for at "
        f"least {duration_text(least)} at a time in every run, longer than the shortest "
        f"request ({duration_text(shortest)}), while beside the grader's own gather it did "
        f"for at most {duration_text(reference_stall)}: {BLOCKED_ADVICE}",
    )


def _blocked_by_the_code(
    student: dict[str, Any], reference: dict[str, Any], shortest: float
) -> tuple[bool, float | None]:
    """(whether the code, not the host, held the loop; the reference's lateness shown).

    With the driver's run-queue reading (`lag_unexplained_max_ms`: the lateness less the
    time the loop's thread waited for a CPU), the code held the loop when that part alone
    reached the shortest delay in every run while the grader's gather, beside it, had
    almost none: a loop that sleeps or reads a socket synchronously waits off the run
    queue, a busy host's delay is on it. Without the reading (gVisor has no schedstat, nor
    had older images), the raw lateness decides, with the same reference.

    A grader's gather late by more than that (gVisor's costly system calls on a busy host)
    does not hide a loop late by far more: the code held it when its least lateness is
    clearly beyond the most the gather's was (_clearly_beyond), as a synchronous call's
    second against the gather's tens of ms.
    """
    figure = "lag_unexplained_max_ms"
    if number_at(student, figure, "min") is None or number_at(reference, figure, "median") is None:
        figure = "lag_max_ms"  # no run-queue reading
    least = number_at(student, figure, "min")
    reference_worst = number_at(reference, figure, "median")
    reference_most = number_at(reference, figure, "max")
    if least is None or reference_worst is None or least < shortest:
        return False, reference_worst
    if reference_worst < REFERENCE_FREE_SHARE * shortest:
        return True, reference_worst
    if reference_most is not None and _clearly_beyond(least, reference_most, shortest):
        return True, reference_most
    return False, reference_worst
