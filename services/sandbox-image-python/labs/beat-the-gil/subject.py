"""The subject of "Beat the GIL" (README.md): the student's process, making the driver's calls.

Started by driver.py (see subject_kit.py), it imports the student's module and answers:
    calibrate {start, target_ms, ...}   the range's width for about target_ms of CPU time of
                                        the student's count_primes, in this thread's CPU
                                        time (so a busy host does not shrink the job)
    call {variant, low, high, workers}  one timed variant, run here:
      serial               the student's count_primes(low, high)
      processes            the student's parallel_count(low, high, workers)
      threads              count_primes split over `workers` threads: the GIL lets one run
      reference_processes  count_primes split over `workers` forked processes: what the
                           machine allowed right then
The driver times each call, checks each value against its own count and reads CPU time
from the kernel: nothing said here decides a verdict on its own word.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import subject_kit  # noqa: E402

sys.path.pop(0)  # the labs' folder is not the student's to import from

thread_cpu = time.thread_time


def lacking(student: Any) -> str | None:
    """What the student's module must define and does not, or None."""
    names = ("count_primes", "parallel_count")
    missing = [name for name in names if not callable(getattr(student, name, None))]
    return f"main.py must define {' and '.join(missing)}" if missing else None


def calibrate(
    count_primes: Callable[[int, int], int],
    start: int,
    target_ms: int,
    min_width: int,
    max_width: int,
    calibration_cpu_seconds: float,
) -> dict[str, Any]:
    """The width for about `target_ms` of CPU time, and the calibration call's value."""
    width = min_width
    while True:
        before = thread_cpu()
        value = count_primes(start, start + width)
        spent = thread_cpu() - before
        if spent >= calibration_cpu_seconds or width >= max_width:
            break
        width *= 4 if spent < calibration_cpu_seconds / 8 else 2
    per_number = max(spent, 1e-6) / width
    return {
        "width": int(min(max_width, max(min_width, target_ms / 1000 / per_number))),
        "calibration_width": width,
        "calibration_cpu_ms": round(spent * 1000, 1),
        "value": value if type(value) is int else None,
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


def handlers(student: Any) -> dict[str, subject_kit.Handler]:
    count_primes, parallel_count = student.count_primes, student.parallel_count
    variants = {
        "serial": lambda low, high, workers: count_primes(low, high),
        "processes": lambda low, high, workers: parallel_count(low, high, workers),
        "threads": lambda low, high, workers: threaded_split(count_primes, low, high, workers),
        "reference_processes": lambda low, high, workers: forked_split(
            count_primes, low, high, workers
        ),
    }

    def call(variant: str, low: int, high: int, workers: int) -> dict[str, Any]:
        try:
            value = variants[variant](low, high, workers)
        except (Exception, SystemExit) as problem:  # noqa: BLE001 - the student's, reported
            return {"value": None, "error": subject_kit.error_line(problem)}
        return {"value": value if type(value) is int else None, "error": None}

    def calibration(**settings: Any) -> dict[str, Any]:
        try:
            return calibrate(count_primes, **settings)
        except (Exception, SystemExit) as problem:  # noqa: BLE001 - the student's, reported
            traceback.print_exception(problem, file=sys.stderr)
            return {"error": subject_kit.error_line(problem)}

    return {"call": call, "calibrate": calibration}


if __name__ == "__main__":
    entry, pipes = subject_kit.parse_arguments()
    subject_kit.serve(entry, pipes, lacking, handlers)
