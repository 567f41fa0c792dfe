# Honest: multiprocessing.Process objects, answers back on a multiprocessing.Queue.
from multiprocessing import Process, Queue


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


def count_into(queue: Queue, low: int, high: int) -> None:
    queue.put(count_primes(low, high))


def parallel_count(start: int, stop: int, workers: int) -> int:
    queue = Queue()
    processes = [
        Process(target=count_into, args=(queue, low, high))
        for low, high in shares(start, stop, workers)
    ]
    for process in processes:
        process.start()
    total = sum(queue.get() for _ in processes)
    for process in processes:
        process.join()
    return total
