# Honest: asyncio.gather keeps the order of its arguments.
import asyncio

import lab_http


async def fetch_all(urls: list[str]) -> list[str]:
    return list(await asyncio.gather(*(lab_http.fetch(url) for url in urls)))
