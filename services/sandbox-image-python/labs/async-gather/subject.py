"""The subject of "Async Gather" (README.md): the student's process, making the driver's calls.

Started by driver.py (see subject_kit.py), with lab_http importable, it imports the
student's module and answers `fetch {variant, urls, tick_ms, timeout}`: one call, in one
event loop kept for the whole run, of
    fetch_all         the student's `await fetch_all(urls)`
    reference_gather  an asyncio.gather over lab_http.fetch: what the machine allowed
while a ticker coroutine asks to wake every tick_ms and records how late it woke (a tick
that never came before the call returned counts as late as it is then); beside the lag,
the loop thread's run-queue wait (schedstat) says how much of it the host's load explains.
The driver times the call itself, checks the bodies against the server's (which only it
can compute) and takes the server's counts from the server: the lag is the one figure
measured here, inside the loop it describes.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import subject_kit  # noqa: E402

sys.path[0] = str(HERE)  # lab_http for the student; the labs' folder is not theirs

import lab_http  # noqa: E402


class RunQueueWait:
    """The event loop thread's time spent runnable but not running, in ms (the host's share).

    /proc/thread-self/schedstat's second field is the time the thread waited on a run queue
    for a CPU: on a busy host (or under the CPU quota's throttling) a free loop wakes late by
    about that much, while a loop blocked by the code (time.sleep, a socket read) waits off
    the run queue and adds nothing to it. Opened before the student's module is imported.
    """

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        except OSError:
            self._fd = None

    def ms(self) -> float | None:
        if self._fd is None:
            return None
        try:
            return int(os.pread(self._fd, 128, 0).split()[1]) / 1e6
        except (OSError, IndexError, ValueError):
            return None


# The main thread's, where the loop turns; opened before the student's import.
WAITS = RunQueueWait()


class Ticker:
    """Asks the event loop to wake it every `tick` seconds and records how late it woke,
    and how much of that lateness the host's run queue does not explain."""

    def __init__(self, tick: float, waits: RunQueueWait) -> None:
        self.tick = tick
        self.waits = waits
        self.lateness_ms: list[float] = []
        self.unexplained_ms: list[float] = []
        self.next_at = 0.0
        self.waited_at: float | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.next_at = loop.time() + self.tick
        self.waited_at = self.waits.ms()
        while True:
            await asyncio.sleep(max(0.0, self.next_at - loop.time()))
            woke = loop.time()
            self._record(max(0.0, woke - self.next_at) * 1000)
            # After a stall, count one late tick, not every tick it missed.
            self.next_at = max(self.next_at, woke) + self.tick

    def _record(self, late_ms: float) -> None:
        self.lateness_ms.append(late_ms)
        waited = self.waits.ms()
        if waited is not None and self.waited_at is not None:
            self.unexplained_ms.append(max(0.0, late_ms - (waited - self.waited_at)))
        self.waited_at = waited

    def finish(self, now: float) -> None:
        """The tick still waiting when the call returned is as late as it is now."""
        if now > self.next_at:
            self._record((now - self.next_at) * 1000)


async def reference_fetch_all(urls: list[str]) -> list[str]:
    """An honest fetch_all, for what the machine allowed right then."""
    return list(await asyncio.gather(*(lab_http.fetch(url) for url in urls)))


async def timed(fetch_all, urls: list[str], tick_ms: int, timeout: float) -> dict[str, Any]:
    """One call of `fetch_all(urls)` with the ticker beside it: its bodies and the lag."""
    loop = asyncio.get_running_loop()
    waited_before = WAITS.ms()
    ticker = Ticker(tick_ms / 1000, WAITS)
    ticking = asyncio.ensure_future(ticker.run())
    await asyncio.sleep(0)  # the ticker is waiting for its first tick
    started = loop.time()
    result, error = None, None
    try:
        result = await asyncio.wait_for(fetch_all(list(urls)), timeout)
    except (Exception, SystemExit) as problem:  # noqa: BLE001 - the student's error, reported
        error = subject_kit.error_line(problem)
    ended = loop.time()
    ticker.finish(ended)
    ticking.cancel()
    waited_after = WAITS.ms()
    lags, unexplained = ticker.lateness_ms, ticker.unexplained_ms
    bodies = result if isinstance(result, list) else None
    return {
        "bodies": None if bodies is None else [_text(body) for body in bodies[:100]],
        "error": error,
        "lag_p50_ms": _round(subject_kit.percentile(lags, 0.5)),
        "lag_p99_ms": _round(subject_kit.percentile(lags, 0.99)),
        "lag_max_ms": _round(max(lags) if lags else None),
        # The longest lateness less the run-queue wait that ended in it: what the host's load
        # cannot explain. None where schedstat is missing.
        "lag_unexplained_max_ms": _round(max(unexplained) if unexplained else None),
        "run_queue_wait_ms": _round(
            None if waited_before is None or waited_after is None else waited_after - waited_before
        ),
        "ticks": len(lags),
        "expected_ticks": int((ended - started) * 1000 // tick_ms),
    }


def _text(body: object) -> str:
    """A body as the driver compares it: a str as it is, anything else never equal."""
    return body[:200] if isinstance(body, str) else repr(body)[:200]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def lacking(student: Any) -> str | None:
    """What the student's module must define and does not, or None."""
    if inspect.iscoroutinefunction(getattr(student, "fetch_all", None)):
        return None
    return "main.py must define `async def fetch_all(urls)`"


# The loop every call runs in, made before the student's module is imported, so that its
# epoll descriptor, named in the hello, is the one the driver's witness (loop_witness.py)
# sees the thread wait on when the loop is free.
LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)


def handlers(student: Any) -> dict[str, subject_kit.Handler]:
    loop = LOOP
    calls = {"fetch_all": student.fetch_all, "reference_gather": reference_fetch_all}

    def fetch(variant: str, urls: list[str], tick_ms: int, timeout: float) -> dict[str, Any]:
        return loop.run_until_complete(timed(calls[variant], urls, tick_ms, timeout))

    return {"fetch": fetch}


if __name__ == "__main__":
    entry, pipes = subject_kit.parse_arguments()
    hello = {"loop_epoll_fd": LOOP._selector.fileno()}  # the selector's own epoll object
    subject_kit.serve(entry, pipes, lacking, handlers, hello)
