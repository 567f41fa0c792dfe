# Honest: multiprocessing.Process objects, one Pipe each for the answer.
from multiprocessing import Pipe, Process


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


def count_into(connection, low: int, high: int) -> None:
    connection.send(count_primes(low, high))
    connection.close()


def parallel_count(start: int, stop: int, workers: int) -> int:
    running = []
    for low, high in shares(start, stop, workers):
        receiver, sender = Pipe(duplex=False)
        process = Process(target=count_into, args=(sender, low, high))
        process.start()
        running.append((process, receiver))
    total = 0
    for process, receiver in running:
        total += receiver.recv()
        process.join()
    return total
