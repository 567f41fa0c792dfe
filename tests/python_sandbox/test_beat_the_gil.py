"""Beat the GIL: the driver shows which process did the work, whatever was started.

Each solution in solutions/beat_the_gil/ runs through the real image on a 2-CPU quota.
The assertions are on structure (whose CPU time it was, how many processes worked, the
total) and never on a duration a busy host could stretch; the one speed assertion is
made only when the driver's own forked split showed, in the same run, that the host
allowed a parallel speedup.
"""

import pytest

pytestmark = pytest.mark.docker

SETTINGS = {"repeats": 2, "target_ms": 500}

HONEST = [
    "pool_map.py",
    "process_pool_executor.py",
    "process_queue.py",
    "process_pipe.py",
    "pool_starmap_chunks.py",
]


def measure(run_lab, solution):
    run = run_lab("beat-the-gil", f"beat_the_gil/{solution}", check_config=SETTINGS)
    assert run.report.status == "exited", run.text
    assert run.report.exit_code == 0, run.text
    measurements = run.raw["measurements"]
    assert measurements["problem"] is None
    assert measurements["repeats"] >= 1
    assert measurements["workers"] == 2
    assert measurements["cpu_quota_cpus"] == 2
    assert measurements["calibration"]["count_primes_correct"] is True
    return measurements


def cpu_of_serial(measurements):
    return measurements["variants"]["serial"]["cpu_ms"]["median"]


@pytest.mark.parametrize("solution", HONEST)
def test_processes_that_count_do_the_work_in_children(run_lab, solution):
    measurements = measure(run_lab, solution)
    processes = measurements["variants"]["processes"]

    assert processes["correct"] is True
    assert measurements["check"]["correct"] is True
    assert processes["busy_processes"] >= 2
    assert processes["children_cpu_share"]["median"] >= 0.7
    assert processes["main_cpu_ms"]["median"] <= 0.3 * cpu_of_serial(measurements)
    # The driver's own threads and serial run stay in the main process.
    for variant in ("serial", "threads"):
        assert measurements["variants"][variant]["children_cpu_share"]["max"] <= 0.1
    if measurements["reference_speedup"]["min"] >= 1.3:  # the host allowed it just then
        assert measurements["speedup"]["max"] > 1.0


@pytest.mark.parametrize("solution", ["decoy_idle_processes.py", "threads.py"])
def test_work_in_the_main_process_shows_however_many_were_started(run_lab, solution):
    measurements = measure(run_lab, solution)
    processes = measurements["variants"]["processes"]

    assert processes["correct"] is True
    assert processes["busy_processes"] == 0
    assert processes["children_cpu_share"]["max"] <= 0.2
    assert processes["main_cpu_ms"]["median"] >= 0.7 * cpu_of_serial(measurements)


def test_a_hard_coded_total_is_wrong_on_the_range_chosen_at_run_time(run_lab):
    measurements = measure(run_lab, "hard_coded.py")

    assert measurements["check"]["correct"] is False
    assert measurements["variants"]["processes"]["correct"] is False
    assert measurements["variants"]["serial"]["correct"] is True


def test_a_missing_function_is_reported_and_nothing_is_timed(run_lab):
    run = run_lab("beat-the-gil", "beat_the_gil/count_only.py", check_config=SETTINGS)

    assert run.report.exit_code == 1
    assert run.raw["measurements"]["problem"] == "function_missing"
    assert run.raw["measurements"]["repeats"] == 0
