"""Beat the GIL, reference solution: the prime count split over a pool of processes.

Each process has its own interpreter and its own GIL, so the pieces are counted truly at
the same time. The range is cut into a few pieces per worker because larger numbers cost
more to test: small pieces keep every process busy until the end.
"""

from concurrent.futures import ProcessPoolExecutor
from math import isqrt

PIECES_PER_WORKER = 4


def count_primes(start: int, stop: int) -> int:
    """How many primes n there are with start <= n < stop, by trial division."""
    count = 0
    for n in range(max(start, 2), stop):
        if n < 4:
            count += 1  # 2 and 3
            continue
        if n % 2 == 0:
            continue
        for divisor in range(3, isqrt(n) + 1, 2):
            if n % divisor == 0:
                break
        else:
            count += 1
    return count


def piece_bounds(start: int, stop: int, pieces: int) -> list[int]:
    """The bounds that cut [start, stop) into at most `pieces` non-empty ranges: piece i
    is [bounds[i], bounds[i + 1])."""
    size = max(stop - start, 0)
    pieces = max(1, min(pieces, size))
    return [start + size * index // pieces for index in range(pieces + 1)]


def parallel_count(start: int, stop: int, workers: int) -> int:
    """count_primes(start, stop), computed by `workers` processes at once."""
    bounds = piece_bounds(start, stop, workers * PIECES_PER_WORKER)
    # Leaving the `with` block waits for the processes to end: their CPU time is then
    # counted as the children's, which is what the grader reads.
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(count_primes, bounds[:-1], bounds[1:]))


if __name__ == "__main__":
    # Runs only when this file is the program, never in the pool's child processes.
    print(parallel_count(1_000_000, 1_400_000, workers=2))
