"""The driver of "Async Gather" (README.md): measures the student's code from outside it.

It never imports the student's code. It forks the lab's slow HTTP server (server.py) on
127.0.0.1, then starts its subject (subject.py, the student's process, see driver_kit.py),
which imports the student's module with lab_http importable. For each repetition it asks
the subject, in a rotated order, for
    fetch_all         the student's `await fetch_all(urls)`
    reference_gather  an asyncio.gather over lab_http.fetch: what the machine allowed
                      right then
on the same `urls` URLs whose delays are spread evenly from min_delay_ms to max_delay_ms
(shuffled per repetition). Each call is one `run` line on the channel: its wall time on
this driver's clock; the server's counts (requests, most in flight at once, the span of
their arrivals), asked by the driver with a token only it holds; whether the bodies are
the expected ones in the order of `urls` (an HMAC under a secret only the driver and the
server hold, so a body cannot be made up); and the event loop's lag as the subject's
ticker saw it (subject.py). Before the first repetition, one `warm_up` call of the
reference, reported but never judged, pays the run's first-time costs (the subject's and
the server's first connections and allocations, a gVisor sandbox's first system calls of
each kind), which would otherwise fall on the student's call, always the first timed one.
lab.py (in the harness) turns the runs into spreads and ratios; the grader judges.
"""

from __future__ import annotations

import json
import random
import secrets
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import driver_kit  # noqa: E402

sys.path.insert(0, str(HERE))

from loop_witness import LoopWitness  # noqa: E402
from server import item_body, start_server  # noqa: E402

SUBJECT = HERE / "subject.py"
VARIANTS = ("fetch_all", "reference_gather")
# The first call, never judged: the reference, so that no student code runs more than it asks.
WARM_UP = "warm_up"
PAUSE_SECONDS = 0.05
# No repetition starts that might end after this share of the wall-time limit.
BUDGET_SHARE = 0.7
# Figures of the subject's that go into a run as they are (the loop's own view of its lag).
LAG_FIELDS = (
    "lag_p50_ms",
    "lag_p99_ms",
    "lag_max_ms",
    "lag_unexplained_max_ms",
    "run_queue_wait_ms",
    "ticks",
    "expected_ticks",
)
randomness = random.SystemRandom()


def spread_delays(count: int, low: int, high: int) -> list[int]:
    """`count` delays in ms, evenly from low to high."""
    if count == 1:
        return [high]
    return [round(low + (high - low) * i / (count - 1)) for i in range(count)]


def server_stats(port: int, token: str, reset: bool) -> dict:
    """The server's counts since its last reset (a blocking GET: the driver has no loop)."""
    query = "?reset=1" if reset else ""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"GET /__stats/{token}{query} HTTP/1.1\r\n\r\n".encode())
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    return json.loads(response.partition(b"\r\n\r\n")[2])


def timed(
    subject: driver_kit.Subject,
    variant: str,
    delays: list[int],
    settings: dict,
    server: tuple,
    witness: LoopWitness,
) -> dict:
    """One call of `variant` on freshly shuffled URLs, measured."""
    port, token, secret = server
    nonce = secrets.token_hex(4)
    shuffled = randomness.sample(delays, len(delays))
    urls = [
        f"http://127.0.0.1:{port}/item/{index}?delay={delay}&run={nonce}"
        for index, delay in enumerate(shuffled)
    ]
    expected = [item_body(secret, url.split(str(port), 1)[1]) for url in urls]
    server_stats(port, token, reset=True)
    timeout = 2.0 * sum(shuffled) / 1000 + 3.0
    witness.start()
    try:
        answer, wall_ms = subject.request(
            "fetch", variant=variant, urls=urls, tick_ms=settings["tick_ms"], timeout=timeout
        )
    finally:
        watched = witness.stop()
    stats = server_stats(port, token, reset=True)
    bodies = answer.get("bodies")
    error = answer.get("error")
    return {
        "wall_ms": round(wall_ms, 1),
        **{name: answer.get(name) for name in LAG_FIELDS},
        **watched,
        "requests": stats["requests"],
        "max_in_flight": stats["max_in_flight"],
        "arrival_span_ms": stats["arrival_span_ms"],
        "correct": not error and bodies == expected,
        "bodies_present": isinstance(bodies, list) and sorted(bodies) == sorted(expected),
        "error": str(error)[:300] if error else None,
    }


def measure(
    subject: driver_kit.Subject, settings: dict, channel, server: tuple, witness: LoopWitness
) -> None:
    delays = spread_delays(settings["urls"], settings["min_delay_ms"], settings["max_delay_ms"])
    channel.fact(
        urls=len(delays), slowest_ms=max(delays), sum_ms=sum(delays), tick_ms=settings["tick_ms"]
    )
    budget = settings["wall_seconds"] * BUDGET_SHARE
    # Repetition 0 calls the student's first: without this call, the run's first-time costs
    # would all fall on theirs (see the module's docstring).
    time.sleep(PAUSE_SECONDS)
    warm = timed(subject, "reference_gather", delays, settings, server, witness)
    channel.run({"variant": WARM_UP, "repeat": -1, **warm})
    last_repetition = 0.0
    for repeat in range(settings["repeats"]):
        if driver_kit.elapsed_seconds() + last_repetition * 1.5 > budget:
            break
        began = driver_kit.now()
        order = VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            time.sleep(PAUSE_SECONDS)
            run = timed(subject, variant, delays, settings, server, witness)
            channel.run({"variant": variant, "repeat": repeat, **run})
        last_repetition = driver_kit.now() - began


def main() -> None:
    entry, settings, channel = driver_kit.parse_arguments()
    driver_kit.refuse_tracing()  # before the fork: the server, too, keeps its secret
    secret, token = secrets.token_bytes(16), secrets.token_hex(8)
    port = start_server(secret, token)
    channel.fact(server_port=port)
    subject = driver_kit.start_subject(SUBJECT, entry)
    epoll_fd = subject.hello.get("loop_epoll_fd")
    # Opened before the student's module is imported: a subject that then hides is `refused`.
    witness = LoopWitness(subject.pid, epoll_fd if type(epoll_fd) is int else None)
    driver_kit.load_student(subject, channel)
    try:
        measure(subject, settings, channel, (port, token, secret), witness)
    except driver_kit.SubjectGone:
        driver_kit.leave(subject)  # it ended mid-call: end as it did
    subject.end()
    driver_kit.leave(subject, 0)


if __name__ == "__main__":
    main()
