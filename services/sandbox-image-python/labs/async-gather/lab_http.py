"""`lab_http.fetch(url)`: the HTTP client of the Async Gather lab, importable by the student.

A coroutine: it opens a connection with asyncio, sends one GET and returns the response's
body as text, without ever blocking the event loop. Only plain `http://` URLs; any status
but 200 raises HTTPError. The lab's server runs inside the sandbox on 127.0.0.1: the
sandbox has no network, only its own loopback.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

__all__ = ["HTTPError", "fetch"]


class HTTPError(Exception):
    """The server answered with a status other than 200, or not in HTTP."""


async def fetch(url: str) -> str:
    """GET `url` and return its body (UTF-8 text)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"lab_http.fetch takes an http:// URL, not {url!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode("ascii"))
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/"):
        raise HTTPError(f"{url}: not an HTTP response")
    if status[1] != b"200":
        raise HTTPError(f"{url}: HTTP {status[1].decode('ascii', 'replace')}")
    return body.decode("utf-8")
