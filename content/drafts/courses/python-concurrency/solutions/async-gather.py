"""Async gather, reference solution: every request started at once, at most
MAX_IN_FLIGHT of them open at the same moment, the bodies returned in the order asked.
"""

import asyncio

from lab_http import MAX_IN_FLIGHT, fetch


async def fetch_all(urls: list[str]) -> list[str]:
    """The body of every URL in `urls`, fetched concurrently, in the order of `urls`."""
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def fetch_one(url: str) -> str:
        async with in_flight:
            return await fetch(url)

    # gather returns the results in the order of its arguments, whatever order the
    # responses arrive in.
    return await asyncio.gather(*(fetch_one(url) for url in urls))
