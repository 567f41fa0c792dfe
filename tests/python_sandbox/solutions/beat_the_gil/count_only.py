# Incomplete: count_primes alone, no parallel_count.


def count_primes(start: int, stop: int) -> int:
    return sum(
        1 for n in range(max(start, 2), stop) if all(n % d for d in range(2, int(n**0.5) + 1))
    )
