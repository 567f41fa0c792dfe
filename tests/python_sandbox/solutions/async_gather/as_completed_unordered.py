# Wrong order: asyncio.as_completed, bodies appended as they arrive (fastest first).
import asyncio

import lab_http


async def fetch_all(urls: list[str]) -> list[str]:
    return [
        await next_done for next_done in asyncio.as_completed([lab_http.fetch(u) for u in urls])
    ]
