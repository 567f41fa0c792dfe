# Dishonest: starts the worker processes, but they only sleep; the main process counts.
import time
from multiprocessing import Process


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    divisor = 3
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 2
    return True


def count_primes(start: int, stop: int) -> int:
    return sum(1 for n in range(start, stop) if is_prime(n))


def shares(start: int, stop: int, parts: int) -> list[tuple[int, int]]:
    step = (stop - start) // parts
    bounds = [start + step * i for i in range(parts)] + [stop]
    return [(bounds[i], bounds[i + 1]) for i in range(parts)]


def parallel_count(start: int, stop: int, workers: int) -> int:
    processes = [Process(target=time.sleep, args=(0.2,)) for _ in range(workers)]
    for process in processes:
        process.start()
    total = count_primes(start, stop)
    for process in processes:
        process.join()
    return total
