"""Beat the GIL's judge on scripted measurements: where the work ran, the speedup, inconclusive.

The numbers are made up and the judge compares ratios of them only, so each case states
the relation that decides it (the main process at 50% of the serial job's CPU, a speedup
at 45% of the ideal while the driver's own split reached 40%).
"""

import copy

import pytest

from grader.adapters.python.labs.beat_the_gil import (
    CHILDREN_MIN_SHARE,
    DUPLICATED_WORK_CPU,
    KEEPS_UP_WITH_REFERENCE,
    MAIN_PROCESS_MAX_SHARE,
    MIN_EFFICIENCY,
    TRAILS_REFERENCE,
)

SERIAL_CPU = 1000.0
# What the driver's own split spends on its main process, starting and collecting.
REFERENCE_MAIN_CPU = 20.0


def spread(median, low=None, high=None):
    return {"median": median, "min": median if low is None else low, "max": high or median}


def variant(main, children, busy, seen=None, wall=600.0, correct=True):
    return {
        "runs": 3,
        "correct": correct,
        "error": None,
        "wall_ms": spread(wall),
        "cpu_ms": spread(main + children),
        "main_cpu_ms": spread(main),
        "children_cpu_ms": spread(children),
        "children_cpu_share": spread(round(children / (main + children), 3)),
        "parallelism": spread(round(children / wall, 2)),
        "busy_processes": busy,
        "processes_seen": busy if seen is None else seen,
        "busiest_process_share": spread(0.52) if busy else None,
    }


def measured(speedup=1.8, reference=1.8, vs_reference=None, processes=None, threads=0.95):
    """An honest pool's measurements on a 2-CPU quota, with the speedups given."""
    vs = vs_reference or spread(round(reference and speedup / reference, 2))
    return {
        "cpu_quota_cpus": 2.0,
        "throttling": {"periods": 50, "throttled_periods": 0, "throttled_ms": 0.0},
        "workers": 2,
        "ideal": 2,
        "cpus_visible": 2,
        "range_width": 60000,
        "calibration": {
            "target_ms": 700,
            "width": 8000,
            "cpu_ms": 90,
            "count_primes_correct": True,
        },
        "check": {"start": 1, "stop": 2, "correct": True, "error": None},
        "repeats": 3,
        "problem": None,
        "problem_detail": None,
        "variants": {
            "serial": variant(SERIAL_CPU, 0.0, 0, wall=SERIAL_CPU),
            "processes": processes or variant(40.0, 1000.0, 2),
            "threads": variant(SERIAL_CPU, 0.0, 0, wall=SERIAL_CPU),
            "reference_processes": variant(REFERENCE_MAIN_CPU, 1000.0, 2),
        },
        "speedup": {**spread(speedup), "ideal": 2, "efficiency": round(speedup / 2, 2)},
        "threads_speedup": spread(threads),
        "reference_speedup": {**spread(reference), "ideal": 2, "efficiency": reference / 2},
        "processes_vs_reference": vs,
    }


def check(result, name):
    return next(item for item in result.checks if item.name == name)


def test_an_honest_pool_passes_and_every_check_says_what_it_measured(grade_python):
    result = grade_python("beat-the-gil", measured())

    assert (result.verdict, result.score) == ("passed", 1.0)
    assert [item.name for item in result.checks] == [
        "parses",
        "correct_result",
        "work_ran_in_processes",
        "speeds_up",
        "threads_do_not",
        "exits_cleanly",
    ]
    assert "1.80x" in check(result, "speeds_up").message
    assert "0.95x" in check(result, "threads_do_not").message
    assert result.measurements["judged"]["speedup"] == {"check": "speeds_up", "outcome": "held"}
    speedups, cpu = result.charts
    assert [bar.label for bar in speedups.bars] == [
        "count_primes() alone",
        "Your 2 processes",
        "2 threads (grader's)",
        "2 processes (grader's)",
    ]
    assert speedups.ideal == 2.0 and speedups.bars[1].outcome == "held"
    assert cpu.bars[1].check == "work_ran_in_processes"
    assert result.diagnoses == ()
    assert any("GIL" in finding for finding in result.findings)


@pytest.mark.parametrize(
    ("processes", "says"),
    [
        # The decoy: two processes alive, idle; the main process counted.
        (variant(SERIAL_CPU, 8.0, 0, seen=2), "2 child processes were alive, but none"),
        # Threads: no child process at all.
        (variant(SERIAL_CPU, 0.0, 0, seen=0), "the counting ran in the main process"),
    ],
)
def test_counting_in_the_main_process_fails_however_many_processes_started(
    grade_python, processes, says
):
    result = grade_python("beat-the-gil", measured(speedup=0.95, processes=processes))

    assert result.verdict == "failed"
    message = check(result, "work_ran_in_processes").message
    assert not check(result, "work_ran_in_processes").passed and says in message
    assert not check(result, "speeds_up").passed and not check(result, "speeds_up").inconclusive
    assert check(result, "threads_do_not").passed
    assert result.diagnoses[0].cause == "work_in_main_process"


def test_threads_are_diagnosed_from_the_imports_only_beside_the_measured_cause(grade_python):
    source = "import threading\n\ndef parallel_count(start, stop, workers):\n    return 0\n"
    processes = variant(SERIAL_CPU, 0.0, 0, seen=0)

    result = grade_python("beat-the-gil", measured(0.9, processes=processes), source=source)

    assert result.diagnoses[0].cause == "threads_took_turns"
    # Counted as the verdict counts it: beyond the driver's own split's main process.
    assert "main process spent 980 ms of CPU on the job" in result.diagnoses[0].evidence


@pytest.mark.parametrize(
    ("main_share", "children_share", "busy", "held"),
    [
        (MAIN_PROCESS_MAX_SHARE, CHILDREN_MIN_SHARE, 2, True),
        (MAIN_PROCESS_MAX_SHARE + 0.01, 1.0, 2, False),
        (0.05, CHILDREN_MIN_SHARE - 0.01, 2, False),
        (0.05, 1.0, 1, False),  # one child did it all: not "in processes" for workers 2
    ],
)
def test_where_the_work_ran_at_the_boundaries(grade_python, main_share, children_share, busy, held):
    main = REFERENCE_MAIN_CPU + main_share * SERIAL_CPU
    processes = variant(main, children_share * SERIAL_CPU, busy)

    result = grade_python("beat-the-gil", measured(processes=processes))

    assert check(result, "work_ran_in_processes").passed is held


def test_a_speedup_at_the_target_holds_and_just_below_with_a_slow_host_is_not_judged(
    grade_python,
):
    target = MIN_EFFICIENCY * 2
    held = grade_python("beat-the-gil", measured(speedup=target, reference=target))
    # The driver's own split could not show a parallel speedup either: the host's fault.
    busy = grade_python("beat-the-gil", measured(speedup=target - 0.01, reference=1.0))

    assert check(held, "speeds_up").passed
    assert busy.verdict == "inconclusive"
    speeds_up = check(busy, "speeds_up")
    assert speeds_up.inconclusive and not speeds_up.passed
    assert "does not count" in speeds_up.message
    assert busy.diagnoses[0].cause == "host_busy"
    assert busy.measurements["judged"]["speedup"]["outcome"] == "not_judged"


def test_keeping_up_with_the_drivers_own_split_holds_below_the_target(grade_python):
    pace = spread(KEEPS_UP_WITH_REFERENCE, KEEPS_UP_WITH_REFERENCE, 0.9)

    result = grade_python("beat-the-gil", measured(speedup=1.0, reference=1.3, vs_reference=pace))

    assert check(result, "speeds_up").passed
    assert "kept 75% of its pace" in check(result, "speeds_up").message


def test_trailing_the_drivers_split_in_every_repetition_fails_when_it_showed_the_speedup(
    grade_python,
):
    pace = spread(0.5, 0.45, TRAILS_REFERENCE - 0.01)

    result = grade_python("beat-the-gil", measured(speedup=0.95, reference=1.9, vs_reference=pace))

    speeds_up = check(result, "speeds_up")
    assert result.verdict == "failed"
    assert not speeds_up.inconclusive and "the code did not reach it" in speeds_up.message


def test_trailing_only_sometimes_is_not_judged(grade_python):
    pace = spread(0.55, 0.45, TRAILS_REFERENCE)

    result = grade_python("beat-the-gil", measured(speedup=0.95, reference=1.9, vs_reference=pace))

    assert result.verdict == "inconclusive"


def test_work_done_twice_fails_whatever_the_clock(grade_python):
    processes = variant(40.0, (DUPLICATED_WORK_CPU + 0.1) * 1020.0, 2)

    result = grade_python("beat-the-gil", measured(speedup=1.2, reference=1.0, processes=processes))

    assert result.verdict == "failed"
    assert "work done twice" in check(result, "speeds_up").message
    assert "duplicated_work" in [item.cause for item in result.diagnoses]


def test_under_runsc_a_pools_cpu_is_no_evidence_of_work_done_twice(grade_python):
    # The course's reference pool under runsc in a full run: its processes' CPU 1.77x the
    # driver's forked split's (gVisor's ticks grow with load; a pool starts dearer there),
    # and a speedup of 0.83x against a split that did little better.
    processes = variant(160.0, (DUPLICATED_WORK_CPU + 0.17) * 1020.0, 2)
    measurements = measured(speedup=0.83, reference=0.9, processes=processes)

    under_runc = grade_python("beat-the-gil", measurements)
    under_runsc = grade_python("beat-the-gil", measurements, runtime="runsc")

    assert "work done twice" in check(under_runc, "speeds_up").message
    assert under_runsc.verdict == "inconclusive"
    assert "work done twice" not in check(under_runsc, "speeds_up").message


def test_a_hard_coded_total_fails_correct_result_and_skips_the_timing(grade_python):
    m = measured()
    m["check"]["correct"] = False
    m["variants"]["processes"]["correct"] = False

    result = grade_python("beat-the-gil", m)

    assert result.verdict == "failed"
    assert "a fixed number cannot be right" in check(result, "correct_result").message
    assert check(result, "work_ran_in_processes").message.startswith("Not measured: fix")
    assert [item.cause for item in result.diagnoses] == ["wrong_total"]


@pytest.mark.parametrize(
    ("problem", "detail", "says"),
    [
        ("load_error", "ImportError: no module named numpy", "Importing your main.py failed"),
        ("function_missing", "main.py defines no parallel_count", "define count_primes"),
        ("not_measured", None, "could not be timed"),
    ],
)
def test_a_driver_problem_is_explained_by_correct_result(grade_python, problem, detail, says):
    m = {**measured(), "problem": problem, "problem_detail": detail, "repeats": 0}

    result = grade_python("beat-the-gil", m, exit_code=1)

    assert says in check(result, "correct_result").message
    assert result.verdict in ("failed", "error")


def test_threads_do_not_never_fails_even_when_threads_look_fast(grade_python):
    result = grade_python("beat-the-gil", measured(threads=1.4))

    assert check(result, "threads_do_not").passed
    assert result.verdict == "passed"


def test_missing_numbers_are_not_measured_never_a_crash(grade_python):
    m = copy.deepcopy(measured())
    m["variants"]["processes"]["main_cpu_ms"] = None
    m["speedup"] = None

    result = grade_python("beat-the-gil", m)

    assert check(result, "work_ran_in_processes").message == "Not measured."
    assert check(result, "speeds_up").message == "Not measured."
    assert result.verdict == "failed"


def test_no_processes_variant_at_all_cannot_be_called_correct(grade_python):
    m = copy.deepcopy(measured())
    m["variants"]["processes"] = None

    result = grade_python("beat-the-gil", m)

    assert check(result, "correct_result").message == "parallel_count() could not be measured."


def test_the_cost_of_starting_processes_is_not_taken_for_the_job(grade_python):
    # Under gVisor each fork and pipe is the sandbox kernel's work, counted to the process:
    # an honest pool's main process spent 150 ms of a 430 ms job, the driver's own split's
    # 100 ms in the same repetitions.
    serial, reference_main = 430.0, 100.0
    honest = measured(processes=variant(150.0, 750.0, 2))
    honest["variants"]["serial"] = variant(serial, 0.0, 0, wall=serial)
    honest["variants"]["reference_processes"] = variant(reference_main, 700.0, 2)

    held = check(grade_python("beat-the-gil", honest), "work_ran_in_processes")

    assert held.passed, held.message
    assert "main process spent 50 ms of CPU on the job" in held.message
