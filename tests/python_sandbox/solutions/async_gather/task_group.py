# Honest: asyncio.TaskGroup (Python 3.11), results read in the order of the tasks.
import asyncio

import lab_http


async def fetch_all(urls: list[str]) -> list[str]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(lab_http.fetch(url)) for url in urls]
    return [task.result() for task in tasks]
