"""The driver of "Beat the GIL" (README.md): the main script of the student's process.

It imports the student's module and runs the same prime count four ways, repeated, in a
rotated order:
    serial               the student's count_primes(start, stop), here, in this process
    processes            the student's parallel_count(start, stop, workers)
    threads              the driver's own split of count_primes over `workers` threads:
                         the GIL lets one run at a time
    reference_processes  the driver's own split over `workers` forked processes: what the
                         machine allowed right then, so that a busy host is not blamed on
                         the student
Each run is one `run` line on the channel: wall time; CPU time of this process (every
thread, getrusage RUSAGE_SELF) and of every other process (reaped children via
RUSAGE_CHILDREN, living ones and each one's share from /proc, see process_cpu.py); and
whether the result equals the driver's own count (a sieve, never the student's code).
The range is chosen here at run time (a random start, a width calibrated on the student's
count_primes so the serial run takes about target_ms of CPU time), so a hard-coded total
is wrong. lab.py (in the harness) turns the runs into spreads and ratios; the grader judges.
"""

from __future__ import annotations

import math
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import driver_kit  # noqa: E402
from process_cpu import ProcessSampler  # noqa: E402

VARIANTS = ("serial", "processes", "threads", "reference_processes")
# Where ranges start: far enough that trial division costs about the same per number
# across one range, low enough for any student's counter.
LOWEST_START = 1_000_000
HIGHEST_START = 20_000_000
MIN_WIDTH = 2_000
MAX_WIDTH = 20_000_000
CALIBRATION_CPU_SECONDS = 0.05
# The check call's range is this fraction of the timed one.
CHECK_FRACTION = 20
# A pause between runs: one CFS period, so each starts with a fresh quota.
PAUSE_SECONDS = 0.1
# No repetition starts that might end after this share of the wall-time limit.
BUDGET_SHARE = 0.7
thread_cpu = time.thread_time
randomness = random.SystemRandom()


def reference_count(start: int, stop: int) -> int:
    """The number of primes p with start <= p < stop: a segmented sieve, the driver's own."""
    low = max(start, 2)
    if stop <= low:
        return 0
    limit = math.isqrt(stop - 1)
    small = bytearray([1]) * (limit + 1)
    small[0:2] = b"\x00\x00"[: min(2, limit + 1)]
    for number in range(2, math.isqrt(limit) + 1):
        if small[number]:
            small[number * number :: number] = bytes(len(range(number * number, limit + 1, number)))
    segment = bytearray([1]) * (stop - low)
    for prime in (n for n in range(2, limit + 1) if small[n]):
        first = max(prime * prime, (low + prime - 1) // prime * prime)
        if first < stop:
            segment[first - low :: prime] = bytes(len(range(first, stop, prime)))
    return segment.count(1)


def calibrate(count_primes: Callable[[int, int], int], start: int, target_ms: int) -> dict:
    """The range's width for about `target_ms` of CPU time of the student's count_primes.

    Measured in the calling thread's CPU time, so a busy host does not shrink the job.
    """
    width = MIN_WIDTH
    while True:
        before = thread_cpu()
        value = count_primes(start, start + width)
        spent = thread_cpu() - before
        if spent >= CALIBRATION_CPU_SECONDS or width >= MAX_WIDTH:
            break
        width *= 4 if spent < CALIBRATION_CPU_SECONDS / 8 else 2
    per_number = max(spent, 1e-6) / width
    chosen = int(min(MAX_WIDTH, max(MIN_WIDTH, target_ms / 1000 / per_number)))
    return {
        "width": chosen,
        "calibration_width": width,
        "calibration_cpu_ms": round(spent * 1000, 1),
        "count_primes_correct": value == reference_count(start, start + width),
    }


def threaded_split(count_primes: Callable[[int, int], int], start: int, stop: int, workers: int):
    """count_primes over `workers` threads, one contiguous share each: the GIL's effect."""
    results = [0] * workers
    shares = split(start, stop, workers)

    def work(index: int) -> None:
        results[index] = count_primes(*shares[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(results)


def forked_split(count_primes: Callable[[int, int], int], start: int, stop: int, workers: int):
    """count_primes over `workers` forked processes, started together, answers on pipes.

    os.fork and os.pipe need no /dev/shm, unlike multiprocessing's locks and queues.
    """
    children = []
    for low, high in split(start, stop, workers):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_end)
                os.write(write_end, str(count_primes(low, high)).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        children.append((pid, read_end))
    total = 0
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as answer:
            total += int(answer.read() or b"0")
        os.waitpid(pid, 0)
    return total


def split(start: int, stop: int, parts: int) -> list[tuple[int, int]]:
    """`parts` contiguous shares of [start, stop)."""
    step = (stop - start) / parts
    bounds = [start + round(step * i) for i in range(parts)] + [stop]
    return [(bounds[i], bounds[i + 1]) for i in range(parts)]


def timed(call: Callable[[], int], expected: int) -> dict:
    """Run `call` once and measure it: wall time, CPU time by process, correctness."""
    sampler = ProcessSampler()
    sampler.start()
    started = driver_kit.now()
    value, error = None, None
    try:
        value = call()
    except (Exception, SystemExit) as problem:
        error = driver_kit.error_line(problem)
    wall_ms = (driver_kit.now() - started) * 1000
    cpu = sampler.stop()
    return {
        "wall_ms": round(wall_ms, 1),
        "main_cpu_ms": round(cpu.main_cpu_ms, 1),
        "children_cpu_ms": round(cpu.children_cpu_ms, 1),
        "per_process_cpu_ms": [round(ms, 1) for ms in cpu.per_process_ms[:16]],
        "processes_seen": cpu.processes_seen,
        "correct": error is None and type(value) is int and value == expected,
        "error": error,
    }


def main() -> None:
    entry, settings, channel = driver_kit.parse_arguments()
    quota = settings.get("cpu_quota_cpus")
    cpus = len(os.sched_getaffinity(0))
    workers = settings["workers"] or (math.ceil(quota) if quota else cpus)
    ideal = min(workers, quota) if quota else min(workers, cpus)
    channel.fact(workers=workers, cpu_quota_cpus=quota, cpus_visible=cpus, ideal=ideal)
    try:
        student = driver_kit.import_student(entry)
    except BaseException as error:  # noqa: BLE001 - the student's top level, whatever it raised
        channel.fact(problem="load_error", problem_detail=driver_kit.error_line(error))
        driver_kit.print_traceback(error)
        leave(1)
    count_primes = getattr(student, "count_primes", None)
    parallel_count = getattr(student, "parallel_count", None)
    missing = [
        name
        for name, f in (("count_primes", count_primes), ("parallel_count", parallel_count))
        if not callable(f)
    ]
    if missing:
        channel.fact(
            problem="function_missing", problem_detail=f"main.py defines no {', '.join(missing)}"
        )
        print(f"main.py must define {' and '.join(missing)}", file=sys.stderr)
        leave(1)

    start = randomness.randrange(LOWEST_START, HIGHEST_START)
    calibration = calibrate(count_primes, start, settings["target_ms"])
    width = calibration["width"]
    channel.fact(target_ms=settings["target_ms"], **calibration)
    check_start = start + width
    check_stop = check_start + max(MIN_WIDTH, width // CHECK_FRACTION)
    check = timed(
        lambda: parallel_count(check_start, check_stop, workers),
        reference_count(check_start, check_stop),
    )
    channel.fact(check={"start": check_start, "stop": check_stop, **check})

    budget = settings["wall_seconds"] * BUDGET_SHARE
    last_repetition = 0.0
    for repeat in range(settings["repeats"]):
        if driver_kit.elapsed_seconds() + last_repetition * 1.5 > budget:
            break
        began = driver_kit.now()
        low = start + randomness.randrange(0, width)
        high = low + width
        expected = reference_count(low, high)
        calls = {
            "serial": partial(count_primes, low, high),
            "processes": partial(parallel_count, low, high, workers),
            "threads": partial(threaded_split, count_primes, low, high, workers),
            "reference_processes": partial(forked_split, count_primes, low, high, workers),
        }
        order = VARIANTS[repeat % len(VARIANTS) :] + VARIANTS[: repeat % len(VARIANTS)]
        for variant in order:
            time.sleep(PAUSE_SECONDS)
            run = timed(calls[variant], expected)
            channel.run({"variant": variant, "repeat": repeat, "start": low, "stop": high, **run})
        last_repetition = driver_kit.now() - began
    leave(0)


def leave(code: int) -> None:
    """End the process now: a pool or thread the student left running must not keep it up
    (the harness kills every process of the student's once this one is gone)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
