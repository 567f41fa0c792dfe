# Dishonest: a synchronous urllib call inside the coroutine blocks the event loop.
import urllib.request


async def fetch_all(urls: list[str]) -> list[str]:
    bodies = []
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as response:
            bodies.append(response.read().decode())
    return bodies
