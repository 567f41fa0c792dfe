"""Async gather, reference solution: every request started at once on one event loop,
the bodies returned in the order asked.
"""

import asyncio

from lab_http import fetch


async def fetch_all(urls: list[str]) -> list[str]:
    """The body of every URL in `urls`, fetched concurrently, in the order of `urls`."""
    # gather wraps each coroutine in a task, so every request is in flight at once, and it
    # returns the results in the order of its arguments, whatever order they arrive in.
    return list(await asyncio.gather(*(fetch(url) for url in urls)))
