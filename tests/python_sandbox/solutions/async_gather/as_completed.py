# Honest: asyncio.as_completed, each body put back at its URL's index.
import asyncio

import lab_http


async def fetch_indexed(index: int, url: str) -> tuple[int, str]:
    return index, await lab_http.fetch(url)


async def fetch_all(urls: list[str]) -> list[str]:
    bodies = [""] * len(urls)
    for next_done in asyncio.as_completed([fetch_indexed(i, url) for i, url in enumerate(urls)]):
        index, body = await next_done
        bodies[index] = body
    return bodies
