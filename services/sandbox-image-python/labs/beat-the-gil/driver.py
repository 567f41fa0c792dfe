"""The driver of "Beat the GIL" (README.md): measures the student's code from outside it.

It never imports the student's code: its subject (subject.py, the student's process, see
driver_kit.py) does, and makes the calls this driver asks for. It runs the same prime
count four ways, repeated, in a rotated order:
    serial               the student's count_primes(start, stop), in the subject
    processes            the student's parallel_count(start, stop, workers)
    threads              the subject's own split of count_primes over `workers` threads:
                         the GIL lets one run at a time
    reference_processes  the subject's own split over `workers` forked processes: what the
                         machine allowed right then, so that a busy host is not blamed on
                         the student
Each run is one `run` line on the channel: wall time on this driver's clock; CPU time from
the kernel: the subject's own (every thread) and every other process's of the student's
(the ones the subject reaped, living ones and each one's share, see process_cpu.py); and
whether the value answered equals this driver's own count (a sieve, never the student's
code). The range is chosen here at run time (a random start, a width calibrated on the
student's count_primes so the serial run takes about target_ms of CPU time), so a
hard-coded total is wrong. lab.py (in the harness) turns the runs into spreads and ratios;
the grader judges.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import driver_kit  # noqa: E402
from process_cpu import ProcessSampler  # noqa: E402

SUBJECT = Path(__file__).resolve().parent / "subject.py"

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


class CalibrationFailed(Exception):
    """The student's count_primes raised on the calibration range (or the answer is junk)."""


def calibrate(subject: driver_kit.Subject, start: int, target_ms: int) -> dict:
    """The range's width for about `target_ms` of CPU time of the student's count_primes,
    measured in the subject; its value on the calibration range checked here."""
    answer, _ = subject.request(
        "calibrate",
        start=start,
        target_ms=target_ms,
        min_width=MIN_WIDTH,
        max_width=MAX_WIDTH,
        calibration_cpu_seconds=CALIBRATION_CPU_SECONDS,
    )
    width, calibration_width = answer.get("width"), answer.get("calibration_width")
    if answer.get("error") or not all(type(n) is int for n in (width, calibration_width)):
        raise CalibrationFailed
    return {
        "width": min(MAX_WIDTH, max(MIN_WIDTH, width)),
        "calibration_width": calibration_width,
        "calibration_cpu_ms": answer.get("calibration_cpu_ms"),
        "count_primes_correct": answer.get("value")
        == reference_count(start, start + calibration_width),
    }


def timed(
    subject: driver_kit.Subject, variant: str, low: int, high: int, workers: int, expected: int
) -> dict:
    """One call of `variant` in the subject, measured here: wall, CPU by process, value."""
    sampler = ProcessSampler(subject.pid, frozenset({os.getpid(), os.getppid()}))
    sampler.start()
    try:
        answer, wall_ms = subject.request(
            "call", variant=variant, low=low, high=high, workers=workers
        )
    finally:
        cpu = sampler.stop()
    error = answer.get("error")
    return {
        "wall_ms": round(wall_ms, 1),
        "main_cpu_ms": round(cpu.main_cpu_ms, 1),
        "children_cpu_ms": round(cpu.children_cpu_ms, 1),
        "per_process_cpu_ms": [round(ms, 1) for ms in cpu.per_process_ms[:16]],
        "processes_seen": cpu.processes_seen,
        "correct": not error and type(answer.get("value")) is int and answer["value"] == expected,
        "error": str(error)[:300] if error else None,
    }


def main() -> None:
    entry, settings, channel = driver_kit.parse_arguments()
    quota = settings.get("cpu_quota_cpus")
    cpus = len(os.sched_getaffinity(0))
    workers = settings["workers"] or (math.ceil(quota) if quota else cpus)
    ideal = min(workers, quota) if quota else min(workers, cpus)
    channel.fact(workers=workers, cpu_quota_cpus=quota, cpus_visible=cpus, ideal=ideal)
    subject = driver_kit.start_subject(SUBJECT, entry)
    driver_kit.load_student(subject, channel)
    try:
        measure(subject, settings, channel, workers)
    except CalibrationFailed:
        subject.end()  # count_primes raised: the subject printed its traceback
        driver_kit.leave(subject, 1)
    except driver_kit.SubjectGone:
        driver_kit.leave(subject)  # it ended mid-call: end as it did
    subject.end()
    driver_kit.leave(subject, 0)


def measure(
    subject: driver_kit.Subject, settings: dict, channel: driver_kit.Channel, workers: int
) -> None:
    """Calibrate, check, then time the four variants `repeats` times (README.md)."""
    start = randomness.randrange(LOWEST_START, HIGHEST_START)
    calibration = calibrate(subject, start, settings["target_ms"])
    width = calibration["width"]
    channel.fact(target_ms=settings["target_ms"], **calibration)
    check_start = start + width
    check_stop = check_start + max(MIN_WIDTH, width // CHECK_FRACTION)
    check = timed(
        subject,
        "processes",
        check_start,
        check_stop,
        workers,
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
        order = VARIANTS[repeat % len(VARIANTS) :] + VARIANTS[: repeat % len(VARIANTS)]
        for variant in order:
            time.sleep(PAUSE_SECONDS)
            run = timed(subject, variant, low, high, workers, expected)
            channel.run({"variant": variant, "repeat": repeat, "start": low, "stop": high, **run})
        last_repetition = driver_kit.now() - began


if __name__ == "__main__":
    main()
