"""The driver of "Async Gather" (README.md): the main script of the student's process.

It forks the lab's slow HTTP server (server.py) on 127.0.0.1, imports the student's module
(with lab_http importable), and for each repetition calls, in a rotated order:
    fetch_all         the student's `await fetch_all(urls)`
    reference_gather  the driver's own asyncio.gather over lab_http.fetch: what the machine
                      allowed right then
on the same `urls` URLs whose delays are spread evenly from min_delay_ms to max_delay_ms
(shuffled per repetition). Each call is one `run` line on the channel: its wall time; the
event loop's lag, from a ticker coroutine that asks to wake every tick_ms and records how
late it woke (a tick that never came before fetch_all returned counts as late as it is
then); the server's counts (requests, most in flight at once, the span of their arrivals);
and whether the bodies are the expected ones in the order of `urls`. Beside the lag, the
loop thread's run-queue wait (schedstat) says how much of it the host's load explains.
lab.py (in the harness) turns the runs into spreads and ratios; the grader judges.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import random
import secrets
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import driver_kit  # noqa: E402

sys.path.insert(0, str(HERE))  # lab_http and server, for the student and the driver alike

import lab_http  # noqa: E402
from server import item_body, start_server  # noqa: E402

VARIANTS = ("fetch_all", "reference_gather")
PAUSE_SECONDS = 0.05
# No repetition starts that might end after this share of the wall-time limit.
BUDGET_SHARE = 0.7
randomness = random.SystemRandom()


def spread_delays(count: int, low: int, high: int) -> list[int]:
    """`count` delays in ms, evenly from low to high."""
    if count == 1:
        return [high]
    return [round(low + (high - low) * i / (count - 1)) for i in range(count)]


async def reference_fetch_all(urls: list[str]) -> list[str]:
    """The driver's own honest fetch_all."""
    return list(await asyncio.gather(*(lab_http.fetch(url) for url in urls)))


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


# The main thread's, where asyncio.run turns the loop; opened before the student's import.
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


async def server_stats(port: int, token: str, reset: bool) -> dict:
    query = "?reset=1" if reset else ""
    return json.loads(await lab_http.fetch(f"http://127.0.0.1:{port}/__stats/{token}{query}"))


async def timed(
    fetch_all, urls: list[str], expected: list[str], tick_ms: int, port: int, token: str
) -> dict:
    """One call of `fetch_all(urls)`, measured."""
    loop = asyncio.get_running_loop()
    await server_stats(port, token, reset=True)
    waited_before = WAITS.ms()
    ticker = Ticker(tick_ms / 1000, WAITS)
    ticking = asyncio.ensure_future(ticker.run())
    await asyncio.sleep(0)  # the ticker is waiting for its first tick
    timeout = 2.0 * sum(_delays(urls)) / 1000 + 3.0
    started = driver_kit.now()
    result, error = None, None
    try:
        result = await asyncio.wait_for(fetch_all(list(urls)), timeout)
    except (Exception, SystemExit) as problem:  # noqa: BLE001 - the student's error, reported
        error = driver_kit.error_line(problem)
    wall_ms = (driver_kit.now() - started) * 1000
    ticker.finish(loop.time())
    ticking.cancel()
    waited_after = WAITS.ms()
    lags = ticker.lateness_ms
    unexplained = ticker.unexplained_ms
    stats = await server_stats(port, token, reset=True)
    bodies = result if isinstance(result, list) else None
    return {
        "wall_ms": round(wall_ms, 1),
        "lag_p50_ms": _round(driver_kit.percentile(lags, 0.5)),
        "lag_p99_ms": _round(driver_kit.percentile(lags, 0.99)),
        "lag_max_ms": _round(max(lags) if lags else None),
        # The longest lateness less the run-queue wait that ended in it: what the host's load
        # cannot explain. None where schedstat is missing.
        "lag_unexplained_max_ms": _round(max(unexplained) if unexplained else None),
        "run_queue_wait_ms": _round(
            None if waited_before is None or waited_after is None else waited_after - waited_before
        ),
        "ticks": len(lags),
        "expected_ticks": int(wall_ms // tick_ms),
        "requests": stats["requests"],
        "max_in_flight": stats["max_in_flight"],
        "arrival_span_ms": stats["arrival_span_ms"],
        "correct": error is None and bodies == expected,
        "bodies_present": bodies is not None and sorted(map(str, bodies)) == sorted(expected),
        "error": error,
    }


def _delays(urls: list[str]) -> list[int]:
    return [int(url.rsplit("delay=", 1)[1].split("&", 1)[0]) for url in urls]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def measure(
    fetch_all, settings: dict, channel: driver_kit.Channel, port: int, token: str, secret: bytes
) -> None:
    delays = spread_delays(settings["urls"], settings["min_delay_ms"], settings["max_delay_ms"])
    channel.fact(
        urls=len(delays), slowest_ms=max(delays), sum_ms=sum(delays), tick_ms=settings["tick_ms"]
    )
    budget = settings["wall_seconds"] * BUDGET_SHARE
    last_repetition = 0.0
    for repeat in range(settings["repeats"]):
        if driver_kit.elapsed_seconds() + last_repetition * 1.5 > budget:
            break
        began = driver_kit.now()
        order = VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            shuffled = randomness.sample(delays, len(delays))
            nonce = secrets.token_hex(4)
            urls = [
                f"http://127.0.0.1:{port}/item/{index}?delay={delay}&run={nonce}"
                for index, delay in enumerate(shuffled)
            ]
            expected = [item_body(secret, url.split(str(port), 1)[1]) for url in urls]
            await asyncio.sleep(PAUSE_SECONDS)
            call = fetch_all if variant == "fetch_all" else reference_fetch_all
            run = await timed(call, urls, expected, settings["tick_ms"], port, token)
            channel.run({"variant": variant, "repeat": repeat, **run})
        last_repetition = driver_kit.now() - began


def leave(code: int) -> None:
    """End the process now, whatever the student left running."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    entry, settings, channel = driver_kit.parse_arguments()
    secret, token = secrets.token_bytes(16), secrets.token_hex(8)
    port = start_server(secret, token)
    channel.fact(server_port=port)
    try:
        student = driver_kit.import_student(entry)
    except BaseException as error:  # noqa: BLE001 - the student's top level, whatever it raised
        channel.fact(problem="load_error", problem_detail=driver_kit.error_line(error))
        driver_kit.print_traceback(error)
        leave(1)
    fetch_all = getattr(student, "fetch_all", None)
    if not inspect.iscoroutinefunction(fetch_all):
        detail = "main.py must define `async def fetch_all(urls)`"
        channel.fact(problem="function_missing", problem_detail=detail)
        print(detail, file=sys.stderr)
        leave(1)
    asyncio.run(measure(fetch_all, settings, channel, port, token, secret))
    leave(0)


if __name__ == "__main__":
    main()
