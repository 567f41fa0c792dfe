"""What the portal shows of a Beat the GIL result: findings and diagnoses (charts.py draws it).

Read from the driver's measurements (any number may be missing); the limits are the
judge's own (beat_the_gil.py), so a diagnosis cannot disagree with the check it explains.
The source's imports are quoted only where no measurement speaks to the same cause.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult, Diagnosis
from grader.adapters.python.labs.beat_the_gil import (
    CHILDREN_MIN_SHARE,
    DUPLICATED_WORK_CPU,
    MAIN_PROCESS_MAX_SHARE,
    MIN_EFFICIENCY,
    main_process_job_cpu,
    quota_text,
)
from grader.adapters.python.labs.charts import beat_the_gil_charts
from grader.adapters.python.labs.shown import (
    Cause,
    diagnosis,
)
from grader.adapters.python.prepare import read_source_facts
from grader.lab_kind import Analysis
from grader.numbers import duration_text, number_at, percent_text, times_text


def beat_the_gil_findings(m: dict[str, Any]) -> list[str]:
    """The speedups of processes and threads against the ideal, and where the CPU time went."""
    found = []
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    threads = number_at(m, "threads_speedup", "median")
    if speedup is not None and ideal:
        found.append(
            f"With workers={workers}, your parallel_count() ran {times_text(speedup)} as fast "
            f"as count_primes() alone; the ideal {quota_text(m)} is {times_text(ideal)} "
            f"({percent_text(speedup / ideal)} efficiency)."
        )
    if threads is not None:
        found.append(
            f"The same split over {workers} threads ran {times_text(threads)} as fast: the "
            "threads took turns on the GIL."
        )
    main = number_at(m, "variants", "processes", "main_cpu_ms", "median")
    children = number_at(m, "variants", "processes", "children_cpu_ms", "median")
    job = number_at(m, "variants", "serial", "cpu_ms", "median")
    if main is not None and children is not None and job:
        found.append(
            f"During parallel_count() the main process spent {duration_text(main)} of CPU and "
            f"the child processes {duration_text(children)}; the job costs "
            f"{duration_text(job)} on one process."
        )
    return found


def explain_beat_the_gil(
    verdict: str, measurements: dict[str, Any], checks: list[CheckResult]
) -> list[str]:
    """A.D.A. quotes the speedups and where the work ran."""
    if measurements.get("problem") is not None:
        return []
    return beat_the_gil_findings(measurements)


def diagnose_beat_the_gil(
    verdict: str, checks: list[CheckResult], m: dict[str, Any], source: str
) -> list[Diagnosis]:
    """The causes the numbers (or, failing them, the imports) point to, most telling first."""
    if m.get("problem") is not None:
        return []
    wrong = _wrong_total(m)
    if wrong is not None:
        return [wrong]
    found: list[Diagnosis | None] = []
    in_main = _work_in_main_process(m, source)
    found.append(in_main)
    if in_main is None:
        found.append(_few_busy_processes(m))
        found.append(_duplicated_work(m))
        found.append(_start_up(m))
    inconclusive = verdict == "inconclusive" or any(check.inconclusive for check in checks)
    busy = _host_busy(m, inconclusive)
    if busy is not None:
        found.insert(0 if inconclusive else len(found), busy)
    return [item for item in found if item is not None]


def _wrong_total(m: dict[str, Any]) -> Diagnosis | None:
    """parallel_count() returned a wrong total, and how much counting it did for it."""
    check = m.get("check") if isinstance(m.get("check"), dict) else {}
    processes = number_at(m, "variants", "processes", "cpu_ms", "median")
    job = number_at(m, "variants", "serial", "cpu_ms", "median")
    variants = m.get("variants") if isinstance(m.get("variants"), dict) else {}
    variant = variants.get("processes") if isinstance(variants.get("processes"), dict) else {}
    if check.get("correct") is not False and variant.get("correct") is not False:
        return None
    if check.get("error") or variant.get("error"):
        return None
    evidence = "parallel_count() returned a wrong total on ranges chosen at run time."
    if processes is not None and job:
        evidence += (
            f" It spent {duration_text(processes)} of CPU in all, against "
            f"{duration_text(job)} for count_primes() alone on the same range"
            + (": it did not count them." if processes < 0.1 * job else ".")
        )
    return diagnosis(
        Cause.WRONG_TOTAL,
        "parallel_count() did not return the count of its range.",
        evidence,
        "Compute the total from `start` and `stop` every time: cut the range into pieces "
        "that cover it exactly once, count each piece with count_primes() and add the counts.",
        "each process runs its own interpreter with its own GIL",
    )


def _work_in_main_process(m: dict[str, Any], source: str) -> Diagnosis | None:
    job = number_at(m, "variants", "serial", "cpu_ms", "median")
    main = main_process_job_cpu(m)  # counted as the verdict counts it
    if not job or main is None or main <= MAIN_PROCESS_MAX_SHARE * job:
        return None
    seen = int(number_at(m, "variants", "processes", "processes_seen") or 0)
    evidence = (
        f"During parallel_count() the main process spent {duration_text(main)} of CPU on the "
        "job, "
        f"{percent_text(main / job)} of the {duration_text(job)} the job takes on one "
        "process"
    )
    evidence += (
        f"; {seen} child processes were alive, but none did a share of the counting."
        if seen
        else "; no child process was alive during the call."
    )
    facts = read_source_facts(source)
    if not seen and facts.imports_any("threading", "concurrent.futures.ThreadPoolExecutor"):
        return diagnosis(
            Cause.THREADS_TOOK_TURNS,
            "The counting ran on threads of the main process, which take turns on the GIL.",
            evidence + " Your code imports threads.",
            "Threads help with waiting, not with computing: use a ProcessPoolExecutor or a "
            "multiprocessing Pool, and call count_primes() in the child processes.",
            "two threads computing in pure Python take turns",
        )
    return diagnosis(
        Cause.WORK_IN_MAIN_PROCESS,
        "The counting still ran in the main process.",
        evidence,
        "Starting processes is not enough: send each one its piece of the range, call "
        "count_primes() there, and add up the counts they send back.",
        "each process runs its own interpreter with its own GIL",
    )


def _few_busy_processes(m: dict[str, Any]) -> Diagnosis | None:
    workers = int(number_at(m, "workers") or 0)
    busy = number_at(m, "variants", "processes", "busy_processes")
    children = number_at(m, "variants", "processes", "children_cpu_ms", "median")
    job = number_at(m, "variants", "serial", "cpu_ms", "median")
    if busy is None or not job or children is None or children < CHILDREN_MIN_SHARE * job:
        return None
    if busy >= min(workers, 2):
        return None
    return diagnosis(
        Cause.FEW_BUSY_PROCESSES,
        "One child process did nearly all the counting.",
        f"With workers={workers}, {int(busy)} child process did a share of the work.",
        "Cut [start, stop) into at least `workers` pieces (a few per worker balances them "
        "better, since large numbers cost more to test) and hand them all to the pool.",
        "hand each process a sizeable piece",
    )


def _duplicated_work(m: dict[str, Any]) -> Diagnosis | None:
    cpu = number_at(m, "variants", "processes", "cpu_ms", "median")
    reference = number_at(m, "variants", "reference_processes", "cpu_ms", "median")
    if not cpu or not reference or cpu <= DUPLICATED_WORK_CPU * reference:
        return None
    return diagnosis(
        Cause.DUPLICATED_WORK,
        "Your processes counted more than the range.",
        f"parallel_count() used {duration_text(cpu)} of CPU, {times_text(cpu / reference)} "
        f"the {duration_text(reference)} of the grader's own split of the same range.",
        "Give each process only its own piece, and count every number exactly once.",
        "hand each process a sizeable piece",
    )


def _start_up(m: dict[str, Any]) -> Diagnosis | None:
    speedup = number_at(m, "speedup", "median")
    reference = number_at(m, "reference_speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    if speedup is None or reference is None or not ideal:
        return None
    target = MIN_EFFICIENCY * ideal
    if speedup >= 0.9 * reference or reference < target:
        return None
    return diagnosis(
        Cause.PROCESS_START_UP,
        "Your processes cost more to start and feed than the grader's own split.",
        f"parallel_count() reached {times_text(speedup)}, the grader's own split over the "
        f"same processes {times_text(reference)} in the same runs.",
        "Start the pool once per call, hand each process a few large pieces rather than "
        "many small ones, and send small arguments (the bounds of a range, not a list).",
        "starting the processes costs something too",
    )


def _host_busy(m: dict[str, Any], inconclusive: bool) -> Diagnosis | None:
    reference = number_at(m, "reference_speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    workers = int(number_at(m, "workers") or 0)
    if reference is not None and ideal and reference < MIN_EFFICIENCY * ideal:
        shown = (
            f"The grader's own split over {workers} processes, timed alongside yours, "
            f"reached only {times_text(reference)} of the ideal {times_text(ideal)}."
        )
    elif inconclusive:
        shown = "The grader marked its speed measurements as inconclusive."
    else:
        return None
    return diagnosis(
        Cause.HOST_BUSY,
        "The grading machine was too busy to measure the speedup reliably.",
        shown,
        "The timings say more about the machine than about your code. Submit again later: "
        "an inconclusive result is measured again and never counts against you.",
        "two processes really compute at the same time",
    )


def analyse_beat_the_gil(
    verdict: str, checks: list[CheckResult], measurements: dict[str, Any], source: str
) -> Analysis:
    """The speedups and CPU times in sentences and in two panels, and why they fell short."""
    return Analysis(
        findings=tuple(beat_the_gil_findings(measurements)),
        diagnoses=tuple(diagnose_beat_the_gil(verdict, checks, measurements, source)),
        charts=beat_the_gil_charts(measurements),
    )
