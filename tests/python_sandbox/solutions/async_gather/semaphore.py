# Dishonest: a semaphore lets five requests run at once; each other one waits for an answer.
import asyncio

import lab_http


async def fetch_all(urls: list[str]) -> list[str]:
    limit = asyncio.Semaphore(5)

    async def fetch(url: str) -> str:
        async with limit:
            return await lab_http.fetch(url)

    return list(await asyncio.gather(*(fetch(url) for url in urls)))
