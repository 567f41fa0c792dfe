"""Beat the GIL: count primes over `workers` processes, faster than one process can.

The driver (services/sandbox-image-python/labs/beat-the-gil/, whose README.md states the
task and what each number means) times the same job four ways, repeated on fresh ranges:
the student's `count_primes` alone (serial), their `parallel_count` (processes), its own
split over threads (the GIL) and its own forked split over processes (what the host
allowed right then). For each call it measures the CPU time of the main process and of
every child process. The checks compare ratios only, never milliseconds, and judge what
ran, not what was imported or started:

- `correct_result`: `count_primes` on the calibration range, `parallel_count` on a short
  check range and on every timed range, each against the driver's own sieve;
- `work_ran_in_processes`: during `parallel_count`, the main process spent (beyond what the
  driver's own split spent on its main process, starting and collecting) at most
  MAIN_PROCESS_MAX_SHARE of what the serial job costs, child processes at least
  CHILDREN_MIN_SHARE of it, and at least min(workers, 2) children each did a share;
- `speeds_up`: not held on evidence a busy host cannot fake (the work in the main
  process, work done twice, runs that trailed the driver's own split in every repetition
  while that split showed the speedup); held when the speedup reaches MIN_EFFICIENCY of
  the quota's ideal, or keeps up with the driver's own split while that split shows a
  parallel speedup; otherwise inconclusive: the host was too busy to tell;
- `threads_do_not`: information, never failing: the driver's threaded speedup beside yours.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult
from grader.adapters.python.labs.driven import plural, problem_check
from grader.adapters.python.prepare import SourceFacts
from grader.lab_kind import NOT_RUN, RUNTIME_SETTING, skipped
from grader.numbers import cpus_text, duration_text, number_at, percent_text, times_text
from grader.report import HarnessReport
from grader.speedup import Reference, SpeedupCall, call_speedup

# Where the work ran, as shares of the serial run's CPU time (the job's cost right now).
MAIN_PROCESS_MAX_SHARE = 0.35  # honest pools: 2-10% (sending the ranges, summing)
CHILDREN_MIN_SHARE = 0.6  # honest: 0.9-1.2 (a spawned child also imports main.py)
MIN_EFFICIENCY = 0.55  # measured speedup over the ideal one
# The driver's forked split is cheaper to start than a pool: a spawned pool's start-up is
# the student's cost, not a fault, so keeping 75% of its pace is keeping up with it.
KEEPS_UP_WITH_REFERENCE = 0.75  # reference split's wall time over the student's (median)
TRAILS_REFERENCE = 0.6  # ... below this in every repetition: the code's, not the host's
DUPLICATED_WORK_CPU = 1.6  # CPU of parallel_count over the driver's own split's
CHECK_NAMES = ("correct_result", "work_ran_in_processes", "speeds_up", "threads_do_not")
FUNCTIONS = "count_primes(start, stop) and parallel_count(start, stop, workers)"


def judge_beat_the_gil(
    facts: SourceFacts, report: HarnessReport | None, config: dict[str, Any]
) -> list[CheckResult]:
    """The lab's checks, from the driver's measurements, in the order the course lists them."""
    if report is None or "problem" not in report.measurements:
        return [CheckResult(name, False, NOT_RUN) for name in CHECK_NAMES]
    m = report.measurements
    correct = _correct_result(m)
    if not correct.passed:
        later = ("work_ran_in_processes", "speeds_up")
        return [correct, *(skipped(name, correct) for name in later), _threads_do_not(m)]
    in_processes = _work_ran_in_processes(m)
    runtime = config.get(RUNTIME_SETTING, "runc")
    return [correct, in_processes, _speeds_up(m, in_processes, runtime), _threads_do_not(m)]


def _correct_result(m: dict[str, Any]) -> CheckResult:
    problem = problem_check(m, "correct_result", FUNCTIONS)
    if problem is not None:
        return problem
    calibration = m.get("calibration") if isinstance(m.get("calibration"), dict) else {}
    if calibration.get("count_primes_correct") is False:
        return CheckResult(
            "correct_result",
            False,
            "count_primes(start, stop) returned a wrong count on the grader's first range: "
            "count every prime p with start <= p < stop.",
        )
    check = m.get("check") if isinstance(m.get("check"), dict) else {}
    variants = m.get("variants") if isinstance(m.get("variants"), dict) else {}
    processes = variants.get("processes") if isinstance(variants.get("processes"), dict) else {}
    error = check.get("error") or processes.get("error")
    if error:
        return CheckResult("correct_result", False, f"parallel_count() raised {error}.")
    if check.get("correct") is False or processes.get("correct") is False:
        return CheckResult(
            "correct_result",
            False,
            "parallel_count(start, stop, workers) returned a wrong total on a range the "
            "grader chose at run time (a different one each time: a fixed number cannot be "
            "right). Count every piece of [start, stop) exactly once and add the counts.",
        )
    runs = int(number_at(processes, "runs") or 0)
    if check.get("correct") is not True or processes.get("correct") is not True or not runs:
        return CheckResult("correct_result", False, "parallel_count() could not be measured.")
    return CheckResult(
        "correct_result",
        True,
        f"count_primes() was right on the first range, and parallel_count() on a short range "
        f"and on all {runs} timed ranges, each chosen at random.",
    )


def main_process_job_cpu(m: dict[str, Any]) -> float | None:
    """The main process's CPU time during parallel_count beyond the driver's own split's.

    Starting child processes and collecting their results costs every main process CPU,
    far more under gVisor (each fork and pipe is the sandbox kernel's work, counted to the
    process) and on a busy host; the driver's own split over processes, timed in the same
    repetitions, paid it too. Without that split's figure the whole main process counts.
    """
    main = number_at(m, "variants", "processes", "main_cpu_ms", "median")
    if main is None:
        return None
    overhead = number_at(m, "variants", "reference_processes", "main_cpu_ms", "median")
    return max(0.0, main - (overhead or 0.0))


def _work_ran_in_processes(m: dict[str, Any]) -> CheckResult:
    """Held when child processes did the job's CPU work and the main process little of it."""
    job = number_at(m, "variants", "serial", "cpu_ms", "median")
    main = main_process_job_cpu(m)
    children = number_at(m, "variants", "processes", "children_cpu_ms", "median")
    busy = number_at(m, "variants", "processes", "busy_processes")
    workers = int(number_at(m, "workers") or 0)
    if not job or main is None or children is None or busy is None or workers < 1:
        return CheckResult("work_ran_in_processes", False, "Not measured.")
    needed = min(workers, 2)
    seen = int(number_at(m, "variants", "processes", "processes_seen") or 0)
    spent = (
        f"During parallel_count() the main process spent {duration_text(main)} of CPU on the "
        "job and "
        f"your child processes {duration_text(children)} (count_primes alone costs "
        f"{duration_text(job)} on one process)"
    )
    if main > MAIN_PROCESS_MAX_SHARE * job:
        started = (
            f" {plural(seen, 'child process')} were alive, but "
            f"{'none' if busy == 0 else int(busy)} of them did a share of the counting."
            if seen
            else ""
        )
        return CheckResult(
            "work_ran_in_processes",
            False,
            f"{spent}: the counting ran in the main process.{started} Threads share the "
            "main process and its GIL; call count_primes() inside the child processes, "
            "each on its piece of the range.",
        )
    if children < CHILDREN_MIN_SHARE * job:
        return CheckResult(
            "work_ran_in_processes",
            False,
            f"{spent}: no process did the counting. Count the primes of [start, stop) "
            "in your child processes.",
        )
    if busy < needed:
        return CheckResult(
            "work_ran_in_processes",
            False,
            f"{spent}, but only {plural(int(busy), 'child process')} did a share of it "
            f"(workers: {workers}): give each of `workers` processes its piece.",
        )
    return CheckResult(
        "work_ran_in_processes",
        True,
        f"{spent}: {int(busy)} child processes each did a share, and the main process "
        f"{percent_text(main / job)} of the job's cost.",
    )


def _speeds_up(m: dict[str, Any], in_processes: CheckResult, runtime: str = "runc") -> CheckResult:
    workers = int(number_at(m, "workers") or 0)
    speedup = number_at(m, "speedup", "median")
    ideal = number_at(m, "speedup", "ideal")
    if speedup is None or not ideal:
        return CheckResult("speeds_up", False, "Not measured.")
    quota = quota_text(m)
    structure = _not_parallel(m, in_processes, runtime)
    if structure is not None:
        return CheckResult(
            "speeds_up",
            False,
            f"{structure}, so its speedup ({times_text(speedup)}) is not a parallel one; "
            f"{quota} up to {times_text(ideal)} is possible.",
        )
    target = MIN_EFFICIENCY * ideal
    ref = Reference(
        number_at(m, "reference_speedup", "median"),
        number_at(m, "reference_speedup", "min"),
        number_at(m, "processes_vs_reference", "median"),
        number_at(m, "processes_vs_reference", "max"),
        int(number_at(m, "repeats") or 0),
    )
    reference = ref.median
    split = f"the grader's own split over {workers} processes, timed beside yours,"
    call = call_speedup(speedup, target, ref, KEEPS_UP_WITH_REFERENCE, TRAILS_REFERENCE)
    if call is SpeedupCall.REACHED:
        return CheckResult(
            "speeds_up",
            True,
            f"parallel_count() finished {times_text(speedup)} as fast as count_primes() "
            f"alone; the ideal {quota} is {times_text(ideal)} "
            f"({percent_text(speedup / ideal)} efficiency).",
        )
    if call is SpeedupCall.KEPT_UP:
        return CheckResult(
            "speeds_up",
            True,
            f"parallel_count() finished {times_text(speedup)} as fast as count_primes() "
            f"alone, short of {times_text(target)}, but {split} reached "
            f"{times_text(reference)} and yours kept {percent_text(ref.pace)} of its pace.",
        )
    if call is SpeedupCall.TRAILED:
        return CheckResult(
            "speeds_up",
            False,
            f"parallel_count() finished {times_text(speedup)} as fast as count_primes() "
            f"alone, while {split} reached at least {times_text(ref.low)} in every "
            f"repetition and yours kept at most {percent_text(ref.best_pace)} of its pace: "
            "the machine allowed the speedup, the code did not reach it. Do your processes "
            "start together, and does each count only its own piece?",
        )
    if reference is not None and not ref.reaches(target):
        reason = (
            f"{split} reached only {times_text(reference)} "
            f"(a parallel speedup needs {times_text(target)})"
        )
    else:
        low = number_at(m, "speedup", "min") or speedup
        high = number_at(m, "speedup", "max") or speedup
        reason = (
            f"{split} reached {times_text(reference or 0)} and your runs went from "
            f"{times_text(low)} to {times_text(high)}"
        )
    return CheckResult(
        "speeds_up",
        False,
        f"Not judged: your child processes did the counting, each a share, and finished "
        f"{times_text(speedup)} as fast as count_primes() alone, but {reason}: this "
        "machine was too busy with other work to tell whether your code speeds the job up. "
        "It is measured again; this attempt does not count.",
        inconclusive=True,
    )


def _not_parallel(m: dict[str, Any], in_processes: CheckResult, runtime: str) -> str | None:
    """Evidence a busy host cannot fake that the processes did not count at once, in words.

    Under runsc the CPU time is no such evidence: gVisor charges a process a 10 ms tick
    whenever its ticker finds it running, so on a loaded host its count grows with the wall
    time, and a pool's start-up costs far more CPU there than the driver's forked split's (an
    honest pool was seen at 1.77x the split's CPU). There the speed is judged against the
    split timed beside it instead, which fails only code that trails it in every repetition.
    """
    if not in_processes.passed:
        return "The counting did not run in several child processes (see work_ran_in_processes)"
    if runtime == "runsc":
        return None
    cpu = number_at(m, "variants", "processes", "cpu_ms", "median")
    reference = number_at(m, "variants", "reference_processes", "cpu_ms", "median")
    if cpu and reference and cpu > DUPLICATED_WORK_CPU * reference:
        return (
            f"parallel_count() used {times_text(cpu / reference)} the CPU time of the "
            "grader's own split of the same range: does each process count more than its "
            "own piece? That is work done twice"
        )
    return None


def _threads_do_not(m: dict[str, Any]) -> CheckResult:
    """Information only: the driver's threaded split beside the student's processes."""
    threads = number_at(m, "threads_speedup", "median")
    workers = int(number_at(m, "workers") or 0)
    if threads is None:
        return CheckResult(
            "threads_do_not", True, "For information: the threaded split was not measured."
        )
    speedup = number_at(m, "speedup", "median")
    yours = f" (your processes: {times_text(speedup)})" if speedup is not None else ""
    return CheckResult(
        "threads_do_not",
        True,
        f"For information: the grader's own split over {workers} threads ran "
        f"{times_text(threads)} as fast as count_primes() alone{yours}: CPython's threads "
        "take turns holding the GIL, so only one of them counts at a time.",
    )


def quota_text(m: dict[str, Any]) -> str:
    """`on a 2-CPU quota`, or `without a CPU quota`."""
    cpus = number_at(m, "cpu_quota_cpus")
    return f"on a {cpus_text(cpus)} quota" if cpus else "without a CPU quota"
