"""The Async Gather lab's HTTP server: slow on purpose, and counting what it serves.

Runs in a process the driver forks before it imports the student's module, listening on
127.0.0.1 (the sandbox's loopback). `GET /item/<i>?delay=<ms>&run=<nonce>` answers after
`delay` ms with a body only this lab can compute (an HMAC of the request's target under
a secret drawn by the driver), so a body cannot be made up without fetching it.
`GET /__stats/<token>` answers, and resets with `?reset=1`, what was served since the last
reset: requests, the most in flight at once (received, not yet answered) and the span
between the first and the last request's arrival.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import time
from urllib.parse import parse_qs

MAX_DELAY_MS = 5000
HEAD_LIMIT_BYTES = 8192


def item_body(secret: bytes, target: str) -> str:
    """The body served for `target` (path and query), e.g. "item 3 5f0c...": the expected."""
    index = target.split("?", 1)[0].rsplit("/", 1)[-1]
    digest = hmac.new(secret, target.encode(), hashlib.sha256).hexdigest()[:24]
    return f"item {index} {digest}"


class Counters:
    """What was served since the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.first_arrival: float | None = None
        self.last_arrival: float | None = None

    def snapshot(self) -> dict:
        span = None
        if self.first_arrival is not None and self.last_arrival is not None:
            span = round((self.last_arrival - self.first_arrival) * 1000, 1)
        return {
            "requests": self.requests,
            "max_in_flight": self.max_in_flight,
            "arrival_span_ms": span,
        }


async def _answer(writer: asyncio.StreamWriter, status: str, body: str) -> None:
    data = body.encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + data)
    await writer.drain()


async def _handle(reader, writer, secret: bytes, token: str, counters: Counters) -> None:
    counted = False
    try:
        line = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # headers: nothing in them matters here
        parts = line.decode("latin-1").split()
        target = parts[1] if len(parts) >= 2 else "/"
        path, _, query = target.partition("?")
        if path == f"/__stats/{token}":
            snapshot = counters.snapshot()
            if query == "reset=1":
                counters.reset()
            await _answer(writer, "200 OK", json.dumps(snapshot))
            return
        if not path.startswith("/item/"):
            await _answer(writer, "404 Not Found", "no such item")
            return
        counted = True
        arrival = time.monotonic()
        counters.requests += 1
        counters.in_flight += 1
        counters.max_in_flight = max(counters.max_in_flight, counters.in_flight)
        if counters.first_arrival is None:
            counters.first_arrival = arrival
        counters.last_arrival = arrival
        try:
            delay_ms = int(parse_qs(query).get("delay", ["0"])[0])
        except ValueError:
            delay_ms = 0
        await asyncio.sleep(min(MAX_DELAY_MS, max(0, delay_ms)) / 1000)
        await _answer(writer, "200 OK", item_body(secret, target))
    except (ConnectionError, asyncio.IncompleteReadError, UnicodeError):
        pass  # the client went away: nothing to answer
    finally:
        if counted:
            counters.in_flight -= 1
        writer.close()


async def _serve(listener: socket.socket, secret: bytes, token: str, parent: int) -> None:
    counters = Counters()
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, secret, token, counters),
        sock=listener,
        limit=HEAD_LIMIT_BYTES,
        backlog=128,
    )
    async with server:
        while os.getppid() == parent:  # end with the driver
            await asyncio.sleep(0.25)


def start_server(secret: bytes, token: str) -> int:
    """Fork the server process; return its port once it is listening (the socket is)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    parent = os.getpid()
    if os.fork() == 0:
        try:
            asyncio.run(_serve(listener, secret, token, parent))
        finally:
            os._exit(0)
    listener.close()
    return port
