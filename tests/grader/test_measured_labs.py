"""The measured labs' judges with scripted harness reports: verdicts, partial marks, A.D.A.

The numbers are made up and the judges only compare ratios of them, so each case states
the relation that decides it (a stall kept at 0.1% of the blocking one, a speedup at 45% of
the ideal, a memory growth at 14% of exec's).
"""

import copy
import json

import pytest

from contract import (
    GRADE_RESULT_VERSION,
    SCHEMA_VERSION,
    GradeRequest,
    GradeResult,
    Limits,
    SubmittedFile,
    decode,
    encode_grade_result,
)
from grader.adapters.node.labs.kinds import lab_kind
from grader.pipeline import grade_request
from grader.sandbox import SandboxRun

CODE = "module.exports = { solve() {} };\n"


def spread(median, low=None, high=None):
    return {"median": median, "min": low or median, "max": high or median}


def thread_variant(
    workers,
    wall,
    stall,
    peak,
    cpu=None,
    main_cpu=None,
    busy=None,
    share=None,
    concurrency=None,
    throttled=(0, 10, 0.0),
):
    """One way of running the job; by default an honest one: the work in `workers` threads."""
    periods_throttled, periods, throttled_ms = throttled
    cpu = cpu or wall
    if main_cpu is None:
        main_cpu = cpu if workers == 0 else 30
    if busy is None:
        busy = workers
    if share is None and workers:
        share = round(0.97 / workers, 3)
    if concurrency is None and workers:
        concurrency = 0.95 * workers
    return {
        "workers": workers,
        "runs": 3,
        "correct": True,
        "error": None,
        "wall_ms": spread(wall),
        "cpu_ms": spread(cpu),
        "loop_delay_p50_ms": spread(0.2),
        "loop_delay_p99_ms": spread(stall),
        "loop_delay_max_ms": spread(stall),
        "event_loop_utilization": spread(1.0 if workers == 0 else 0.02, None, None),
        "peak_workers": peak,
        "throttling": {
            "periods": periods,
            "throttled_periods": periods_throttled,
            "throttled_ms": throttled_ms,
        },
        "main_thread_cpu_ms": spread(main_cpu),
        "worker_threads_cpu_ms": spread(max(0, cpu - main_cpu)),
        "busy_threads": busy,
        "busiest_thread_share": spread(share) if share else None,
        "parallelism": spread(round(max(0, cpu - main_cpu) / wall, 2)),
        "concurrency": spread(concurrency) if concurrency else None,
    }


def unblock_measurements(one, many, speedup, blocking=None, quota=2, reference=None):
    blocking = blocking or thread_variant(0, 600, 590, 0)
    reference = reference or thread_variant(2, 400, 3.0, 2, cpu=760)
    stall = blocking["loop_delay_p99_ms"]["median"]
    return {
        "cpu_quota_cpus": quota,
        "throttling": {"periods": 60, "throttled_periods": 0, "throttled_ms": 0},
        "workers": 2,
        "items": 120000,
        "repeats": 3,
        "problem": None,
        "problem_detail": None,
        "variants": {
            "blocking": blocking,
            "one_worker": one,
            "n_workers": many,
            "reference_workers": reference,
        },
        "speedup": {
            **spread(speedup, speedup - 0.05, speedup + 0.05),
            "ideal": min(2, quota),
            "efficiency": round(speedup / min(2, quota), 2),
        },
        "one_worker_speedup": spread(0.9),
        "reference_speedup": spread(1.5, 1.45, 1.55),
        "n_workers_vs_reference": spread(round(speedup / 1.5, 2)),
        "loop_delay_p99_ratio": {
            "one_worker": round(one["loop_delay_p99_ms"]["median"] / stall, 3),
            "n_workers": round(many["loop_delay_p99_ms"]["median"] / stall, 3),
        },
    }


def on_a_busy_host(measurements, speedup, reference, keeping_up):
    """The same runs on a host busy with other work: both splits slowed alike."""
    busy = copy.deepcopy(measurements)
    busy["speedup"].update(
        median=speedup, min=speedup - 0.05, max=speedup + 0.05, efficiency=round(speedup / 2, 2)
    )
    busy["reference_speedup"] = (
        spread(*reference) if isinstance(reference, tuple) else spread(reference)
    )
    busy["n_workers_vs_reference"] = (
        spread(*keeping_up) if isinstance(keeping_up, tuple) else spread(keeping_up)
    )
    return busy


N_WORKERS = unblock_measurements(
    thread_variant(1, 680, 0.7, 1), thread_variant(2, 390, 4.1, 2, cpu=760), 1.53
)
ONE_WORKER = unblock_measurements(
    thread_variant(1, 680, 0.7, 1),
    thread_variant(2, 670, 1.1, 1, cpu=670, busy=1, share=0.96, concurrency=1.0),
    0.9,
)
BLOCKING = unblock_measurements(
    thread_variant(1, 600, 588, 0, main_cpu=598, busy=0, share=0),
    thread_variant(2, 600, 586, 0, main_cpu=598, busy=0, share=0),
    1.0,
)
# The decoy of issue 10: pool workers that came online and idled while the main thread
# crunched in slices between `await setImmediate()` (its loop kept turning).
IDLE_POOL = unblock_measurements(
    thread_variant(1, 640, 6.0, 2, cpu=610, main_cpu=600, busy=0, share=0.6),
    thread_variant(2, 630, 6.5, 2, cpu=612, main_cpu=600, busy=0, share=0.6),
    0.95,
)
# The main thread blocked in Atomics.wait while the worker crunched; too blocked to see the
# worker's `online` event, so the hooks counted none.
ATOMICS_WAIT = unblock_measurements(
    thread_variant(1, 610, 600, 0, cpu=602, main_cpu=2, concurrency=0),
    thread_variant(2, 610, 600, 0, cpu=602, main_cpu=2, busy=1, share=0.98, concurrency=0),
    0.98,
)
# The work done in child processes: neither the main thread nor any worker thread did it.
CHILD_PROCESSES = unblock_measurements(
    thread_variant(1, 640, 1.0, 0, cpu=25, main_cpu=20, busy=0, share=0),
    thread_variant(2, 380, 1.0, 0, cpu=30, main_cpu=25, busy=0, share=0),
    1.58,
)
THROTTLED = on_a_busy_host(
    unblock_measurements(
        thread_variant(1, 680, 0.7, 1),
        thread_variant(2, 600, 9.0, 2, cpu=700, throttled=(5, 12, 120.0)),
        1.0,
    ),
    1.0,
    0.95,
    1.0,
)


def report(lab, measurements, child_process_calls=None, **changes):
    data = {
        "harness_version": 1,
        "lab_kind": lab,
        "status": "exited",
        "exit_code": 0,
        "signal": None,
        "wall_ms": 7000.0,
        "syntax_error": None,
        "error_line": None,
        "observations": {
            "workers_created": 0,
            "workers_online": 0,
            "messages_to_main": 0,
            "messages_to_worker": 0,
        },
        "output": {"text": "", "truncated": False, "bytes_total": 0},
        "cgroup": {"oom_kills": 0, "cpu_quota_cpus": 2},
        "harness_error": None,
        "measurements": measurements,
    }
    if child_process_calls is not None:
        data["child_process_calls"] = child_process_calls
    data.update(changes)
    return b"HARNESS-REPORT " + json.dumps(data).encode() + b"\n"


def grade(lab, stdout):
    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id="7",
        tenant_id="1",
        lab_id=lab,
        lab_kind=lab,
        files=(SubmittedFile("main.js", CODE),),
        entrypoint="main.js",
        limits=lab_kind(lab).default_limits,
    )
    return grade_request(request, lambda job: SandboxRun(0, stdout, False, False, "t"))


def check(result, name):
    return next(item for item in result.checks if item.name == name)


def test_n_worker_solution_gets_full_marks_and_ada_quotes_the_numbers():
    result = grade("unblock-the-loop", report("unblock-the-loop", N_WORKERS))

    assert (result.verdict, result.score) == ("passed", 1.0)
    assert all(item.passed for item in result.checks)
    assert "590 ms" in result.feedback and "0.7 ms" in result.feedback
    assert "1.53x faster" in result.feedback and "77% efficiency" in result.feedback
    assert result.measurements["speedup"]["median"] == 1.53
    assert "the worker threads spent 650 ms of CPU" in check(result, "uses_worker").message


def test_one_worker_solution_passes_with_partial_marks_and_says_what_full_marks_need():
    result = grade("unblock-the-loop", report("unblock-the-loop", ONE_WORKER))

    assert result.verdict == "passed"
    assert 0 < result.score < 1
    assert not check(result, "splits_over_workers").passed
    speeds_up = check(result, "speeds_up")
    assert not speeds_up.passed and not speeds_up.inconclusive
    assert "For full marks: With workers: 2, 1 thread did a share of the work" in result.feedback


def test_blocking_solution_fails_with_the_stall_it_caused():
    result = grade("unblock-the-loop", report("unblock-the-loop", BLOCKING))

    assert result.verdict == "failed"
    assert result.score < grade("unblock-the-loop", report("unblock-the-loop", ONE_WORKER)).score
    uses_worker = check(result, "uses_worker")
    assert not uses_worker.passed and "crunch() ran on the main thread" in uses_worker.message
    responsive = check(result, "keeps_loop_responsive")
    assert not responsive.passed and "588 ms" in responsive.message
    assert "stalled the event loop for 590 ms" in result.feedback


def test_idle_pool_with_the_job_on_the_main_thread_fails_however_many_workers_came_online():
    result = grade("unblock-the-loop", report("unblock-the-loop", IDLE_POOL))

    assert result.verdict == "failed"
    assert check(result, "keeps_loop_responsive").passed, "its loop kept turning"
    uses_worker = check(result, "uses_worker")
    assert not uses_worker.passed
    assert (
        "the main thread spent 570 ms of CPU on the job and the worker threads 10 ms"
        in uses_worker.message
    )
    assert "2 workers came online, but did little of the work" in uses_worker.message
    assert not check(result, "splits_over_workers").passed
    assert not check(result, "speeds_up").passed


def test_a_main_thread_waiting_in_atomics_wait_is_blamed_for_waiting_not_for_skipping_workers():
    result = grade("unblock-the-loop", report("unblock-the-loop", ATOMICS_WAIT))

    assert result.verdict == "failed"
    assert check(result, "uses_worker").passed, "the worker did the work"
    responsive = check(result, "keeps_loop_responsive")
    assert not responsive.passed
    assert "it was waiting for the worker synchronously" in responsive.message
    assert all("No worker thread came online" not in item.message for item in result.checks)
    assert "came online" not in result.feedback


def test_work_done_in_child_processes_is_not_a_worker_thread():
    result = grade("unblock-the-loop", report("unblock-the-loop", CHILD_PROCESSES))

    assert result.verdict == "failed"
    uses_worker = check(result, "uses_worker")
    assert not uses_worker.passed and "another process" in uses_worker.message


def test_a_token_share_in_the_workers_with_the_rest_on_the_main_thread_fails():
    token = copy.deepcopy(N_WORKERS)
    token["variants"]["n_workers"] = thread_variant(
        2, 420, 8.0, 2, cpu=700, main_cpu=520, busy=1, share=0.8
    )
    result = grade("unblock-the-loop", report("unblock-the-loop", token))

    assert result.verdict == "failed"
    message = check(result, "uses_worker").message
    assert "With workers: 2, the main thread spent 490 ms of CPU" in message


def busy_host_runs(one_worker_main_cpu):
    """Runs measured on a host loaded several times over its cores: starting and sampling
    workers cost every main thread about a quarter of the job, the grader's own split's too."""
    return unblock_measurements(
        thread_variant(1, 1400, 80.0, 1, cpu=700, main_cpu=one_worker_main_cpu),
        thread_variant(2, 900, 110.0, 2, cpu=870, main_cpu=120),
        0.7,
        blocking=thread_variant(0, 1800, 1790, 0, cpu=395),
        reference=thread_variant(2, 1000, 95.0, 2, cpu=800, main_cpu=95),
    )


def test_on_a_busy_host_the_main_threads_cost_of_starting_workers_is_not_taken_for_the_job():
    # Measured: an honest one-worker run's main thread at 37% of the job, the grader's own
    # split's at 24%, on a 2-core host with a load of 13.
    result = grade("unblock-the-loop", report("unblock-the-loop", busy_host_runs(145)))

    uses_worker = check(result, "uses_worker")
    assert uses_worker.passed, uses_worker.message
    assert "the main thread 50 ms" in uses_worker.message


def test_on_a_busy_host_a_main_thread_that_ran_the_job_still_fails_uses_worker():
    result = grade("unblock-the-loop", report("unblock-the-loop", busy_host_runs(420)))

    uses_worker = check(result, "uses_worker")
    assert not uses_worker.passed
    assert "the main thread spent 325 ms of CPU on the job" in uses_worker.message


def under_gvisor(one_worker_cpu, one_worker_main_cpu):
    """Runs measured under runsc, whose thread clock ticks every 10 ms (figures from one
    grading of an honest pool: a 290 ms job, and the grader's split's main thread 300 ms)."""
    measurements = unblock_measurements(
        thread_variant(1, 180, 10.0, 1, cpu=one_worker_cpu, main_cpu=one_worker_main_cpu),
        thread_variant(2, 260, 17.0, 2, cpu=650, main_cpu=320),
        1.3,
        blocking=thread_variant(0, 340, 330, 0, cpu=290, main_cpu=290),
        reference=thread_variant(2, 660, 21.0, 2, cpu=1500, main_cpu=300),
    )
    return measurements | {"thread_cpu": {"source": "stat", "precision_ms": 10}}


@pytest.mark.parametrize(
    ("cpu", "main_cpu", "verdict"),
    [
        (500, 300, "held"),  # the worker: 200 ms of a 290 ms job
        (470, 300, "inconclusive"),  # 170 ms: a tick or two from the 174 ms line
        (330, 300, "not held"),  # 30 ms: far below it, ticks or not
        (700, 420, "not held"),  # the main thread: 120 ms beyond the split's start-up cost
    ],
)
def test_under_gvisor_a_figure_within_a_few_ticks_of_its_line_decides_nothing(
    cpu, main_cpu, verdict
):
    result = grade("unblock-the-loop", report("unblock-the-loop", under_gvisor(cpu, main_cpu)))

    uses_worker = check(result, "uses_worker")
    seen = (
        "inconclusive" if uses_worker.inconclusive else "held" if uses_worker.passed else "not held"
    )
    assert seen == verdict, uses_worker.message
    if verdict == "inconclusive":
        assert "ticks every 10 ms" in uses_worker.message
        assert result.verdict == "inconclusive"


def loaded_under_gvisor(one, many, blocking_cpu=1950, clock="main_thread"):
    """Runs measured under runsc on a host loaded 7x over its cores (figures from one grading
    of an honest pool at a load of 14): the job sized at 1.00 s of the main thread's ticks,
    the blocking run's inflated to 1.95 s, the grader's split's main thread at 650 ms."""
    measurements = unblock_measurements(
        one,
        many,
        2.7,
        blocking=thread_variant(0, 2700, 2600, 0, cpu=blocking_cpu, main_cpu=blocking_cpu - 30),
        reference=thread_variant(2, 1800, 95.0, 2, cpu=3480, main_cpu=650),
    )
    return measurements | {
        "thread_cpu": {"source": "stat", "precision_ms": 10},
        "job": {"cpu_ms": 1000 if clock == "main_thread" else 450, "clock": clock},
        "repeats": 1,
    }


# The honest pool's runs beside that blocking run: its worker at 1.01 s, its two at 1.12 s.
HONEST_ONE = thread_variant(1, 1100, 130.0, 1, cpu=1540, main_cpu=530)
HONEST_MANY = thread_variant(2, 1000, 105.0, 2, cpu=1440, main_cpu=320)


def outcome(check):
    return "inconclusive" if check.inconclusive else "held" if check.passed else "not held"


def test_under_gvisor_load_that_inflated_the_blocking_runs_ticks_does_not_fail_an_honest_worker():
    # uses_worker failed it: 1.01 s of the worker against 60% of the blocking run's 1.95 s.
    result = grade(
        "unblock-the-loop", report("unblock-the-loop", loaded_under_gvisor(HONEST_ONE, HONEST_MANY))
    )

    uses_worker = check(result, "uses_worker")
    assert uses_worker.inconclusive, uses_worker.message
    assert "The job was sized for 1.00 s of CPU, yet its blocking run read 1.95 s" in (
        uses_worker.message
    )
    assert "another process" not in uses_worker.message
    assert result.verdict == "inconclusive" and result.gradable is False


def test_under_runc_a_worker_at_half_the_blocking_runs_cpu_time_still_did_not_do_the_job():
    # Nanosecond clocks a busy host does not inflate: the blocking run's CPU time is the job's.
    measurements = loaded_under_gvisor(HONEST_ONE, HONEST_MANY, clock="process")
    del measurements["thread_cpu"]

    result = grade("unblock-the-loop", report("unblock-the-loop", measurements))

    uses_worker = check(result, "uses_worker")
    assert outcome(uses_worker) == "not held" and "another process" in uses_worker.message
    assert result.verdict == "failed"


def test_under_gvisor_a_quiet_hosts_honest_worker_still_passes():
    # Figures from an honest pool at a load of 4: the blocking run near what the job was
    # sized for, the worker above it (fresh workers run cold code).
    measurements = loaded_under_gvisor(
        thread_variant(1, 1250, 9.0, 1, cpu=1610, main_cpu=360),
        thread_variant(2, 750, 7.0, 2, cpu=2270, main_cpu=200),
        blocking_cpu=1060,
    )

    result = grade("unblock-the-loop", report("unblock-the-loop", measurements))

    assert outcome(check(result, "uses_worker")) == "held", check(result, "uses_worker").message


@pytest.mark.parametrize(
    ("one", "many", "seen", "says"),
    [
        pytest.param(
            # Measured under runsc at a load of 1: the main thread 1.27 s, the workers 10 ms.
            thread_variant(1, 1500, 9.0, 2, cpu=1280, main_cpu=1270, busy=0),
            thread_variant(2, 1500, 9.0, 2, cpu=1280, main_cpu=1270, busy=0),
            "not held",
            "crunch() ran on the main thread",
            id="idle-pool",
        ),
        pytest.param(
            # The load spared its main thread and inflated the blocking run: 450 ms beyond
            # the split's passes under 30% of 1.95 s, but its idle workers did nothing.
            thread_variant(1, 1500, 9.0, 2, cpu=1140, main_cpu=1100, busy=0),
            thread_variant(2, 1500, 9.0, 2, cpu=1140, main_cpu=1100, busy=0),
            "not held",
            "no thread of your program did the work",
            id="idle-pool-main-spared-by-the-load",
        ),
        pytest.param(
            # Measured under runsc at a load of 1: 5% of the items and gVisor's cost of
            # starting a worker came to 680 ms in the worker, 1.31 s on the main thread.
            thread_variant(1, 1300, 9.0, 1, cpu=1990, main_cpu=1310),
            thread_variant(2, 1300, 9.0, 1, cpu=1800, main_cpu=1310, busy=1),
            "not held",
            "crunch() ran on the main thread",
            id="token-share",
        ),
        pytest.param(
            # The load spared its main thread (350 ms beyond the split's) and inflated its
            # worker's start-up: too few to hold against 1.95 s, too many to fail. Not a pass.
            thread_variant(1, 1300, 9.0, 1, cpu=1900, main_cpu=1000),
            thread_variant(2, 1300, 9.0, 1, cpu=1900, main_cpu=1000, busy=1),
            "inconclusive",
            "The job was sized for 1.00 s",
            id="token-share-main-spared-by-the-load",
        ),
        pytest.param(
            # Measured under runsc: the main thread forks and reads the answers.
            thread_variant(1, 1300, 9.0, 0, cpu=350, main_cpu=340, busy=0),
            thread_variant(2, 900, 9.0, 0, cpu=830, main_cpu=810, busy=0),
            "not held",
            "another process",
            id="child-processes",
        ),
    ],
)
def test_under_gvisor_on_a_loaded_host_no_dishonest_solution_holds_uses_worker(
    one, many, seen, says
):
    result = grade("unblock-the-loop", report("unblock-the-loop", loaded_under_gvisor(one, many)))

    uses_worker = check(result, "uses_worker")
    assert outcome(uses_worker) == seen, uses_worker.message
    assert says in uses_worker.message
    assert result.verdict == ("failed" if seen == "not held" else "inconclusive")


def test_under_gvisor_on_a_loaded_host_a_main_thread_waiting_in_atomics_wait_still_fails():
    waiting = thread_variant(1, 1100, 1090, 0, cpu=1050, main_cpu=10, concurrency=0)
    result = grade(
        "unblock-the-loop", report("unblock-the-loop", loaded_under_gvisor(waiting, waiting))
    )

    assert outcome(check(result, "uses_worker")) == "inconclusive"
    responsive = check(result, "keeps_loop_responsive")
    assert outcome(responsive) == "not held" and "synchronously" in responsive.message
    assert result.verdict == "failed"


@pytest.mark.parametrize(
    ("n_workers", "says"),
    [
        pytest.param(
            thread_variant(2, 390, 4.0, 2, cpu=760, busy=1, share=0.9, concurrency=1.0),
            "1 thread did a share of the work",
            id="fewer-busy-threads-than-asked",
        ),
        pytest.param(
            thread_variant(2, 390, 4.0, 2, cpu=760, share=0.84),
            "one thread did 84% of the workers' CPU time",
            id="one-thread-did-nearly-all",
        ),
        pytest.param(
            thread_variant(2, 390, 4.0, 2, cpu=1400),
            "does each worker do the whole job",
            id="work-done-twice",
        ),
        pytest.param(
            thread_variant(2, 390, 4.0, 1, cpu=760, concurrency=1.02),
            "worked one after another",
            id="one-after-another",
        ),
    ],
)
def test_speeds_up_is_not_held_on_evidence_a_busy_host_cannot_fake(n_workers, says):
    # A clock-only judge would credit these: a host that slowed the blocking run made the
    # speedup look like 1.53x. Where the CPU time went says otherwise.
    measurements = copy.deepcopy(N_WORKERS)
    measurements["variants"]["n_workers"] = n_workers
    result = grade("unblock-the-loop", report("unblock-the-loop", measurements))

    speeds_up = check(result, "speeds_up")
    assert not speeds_up.passed and not speeds_up.inconclusive
    assert says in speeds_up.message
    assert result.verdict == "passed" and result.score < 1


def test_keeping_up_with_the_graders_split_that_showed_a_speedup_holds():
    busy = on_a_busy_host(N_WORKERS, 1.02, 1.2, 0.85)
    result = grade("unblock-the-loop", report("unblock-the-loop", busy))

    speeds_up = check(result, "speeds_up")
    assert speeds_up.passed and "yours kept 85% of its pace" in speeds_up.message
    assert (result.verdict, result.score) == ("passed", 1.0)
    # A.D.A. quotes what the machine allowed, and blames neither the code nor the host.
    assert "For comparison, the grader's own split over 2 workers" in result.feedback
    assert "the gap" not in result.feedback and "not your code" not in result.feedback


@pytest.mark.parametrize(
    ("speedup", "reference", "keeping_up", "says"),
    [
        pytest.param(0.78, 0.92, 0.85, "reached only 0.92x", id="reference-showed-no-speedup"),
        pytest.param(
            0.9, (1.2, 0.8, 1.5), (0.75, 0.6, 0.95), "your runs went from", id="straddling"
        ),
    ],
)
def test_a_host_too_busy_to_tell_makes_speeds_up_inconclusive_never_a_pass_or_a_fail(
    speedup, reference, keeping_up, says
):
    busy = on_a_busy_host(N_WORKERS, speedup, reference, keeping_up)
    result = grade("unblock-the-loop", report("unblock-the-loop", busy))

    speeds_up = check(result, "speeds_up")
    assert speeds_up.inconclusive and not speeds_up.passed
    assert says in speeds_up.message and "too busy" in speeds_up.message
    assert (result.verdict, result.gradable) == ("inconclusive", False)


def test_throttling_is_no_longer_an_excuse_that_passes_a_slow_speedup():
    result = grade("unblock-the-loop", report("unblock-the-loop", THROTTLED))

    speeds_up = check(result, "speeds_up")
    assert not speeds_up.passed and speeds_up.inconclusive
    assert "the quota, not your code" not in speeds_up.message
    assert result.verdict == "inconclusive"


def test_trailing_the_graders_split_in_every_repetition_is_the_codes_gap():
    slow = on_a_busy_host(N_WORKERS, 0.85, (1.45, 1.3, 1.6), (0.58, 0.5, 0.62))
    result = grade("unblock-the-loop", report("unblock-the-loop", slow))

    speeds_up = check(result, "speeds_up")
    assert not speeds_up.passed and not speeds_up.inconclusive
    assert "at least 1.30x in every repetition" in speeds_up.message
    assert (result.verdict, result.score) == ("passed", 0.8)


def test_on_a_one_cpu_quota_the_ideal_is_one_and_splitting_still_counts():
    one_cpu = unblock_measurements(
        thread_variant(1, 680, 0.7, 1), thread_variant(2, 700, 30.0, 2), 0.86, quota=1
    )
    result = grade("unblock-the-loop", report("unblock-the-loop", one_cpu))

    assert (result.verdict, result.score) == ("passed", 1.0)
    assert "on a 1-CPU quota" in check(result, "speeds_up").message


@pytest.mark.parametrize(
    ("problem", "detail", "failing", "says"),
    [
        ("solve_missing", None, "exports_solve", "module.exports = { solve }"),
        (
            "wrong_result",
            "solve() resolved to 7 for 2400 items; the checksum is 9",
            "correct_result",
            "resolved to 7",
        ),
        ("threw", "Error: boom", "correct_result", "solve() failed: Error: boom"),
        ("timeout", "did not finish within 5.0 s", "correct_result", "within 5.0 s"),
    ],
)
def test_unblock_problems_fail_the_right_check_and_skip_the_timing(problem, detail, failing, says):
    measurements = {
        "workers": 2,
        "problem": problem,
        "problem_detail": detail,
        "variants": {"blocking": None, "one_worker": None, "n_workers": None},
        "speedup": None,
    }
    result = grade("unblock-the-loop", report("unblock-the-loop", measurements))

    assert result.verdict == "failed"
    assert says in check(result, failing).message
    assert "Not measured" in check(result, "keeps_loop_responsive").message


def test_a_crashed_unblock_run_is_an_error_and_every_check_says_so():
    stdout = report(
        "unblock-the-loop", {}, exit_code=1, error_line="ReferenceError: x is not defined"
    )
    result = grade("unblock-the-loop", stdout)

    assert result.verdict == "error" and "ReferenceError" in result.feedback
    assert not check(result, "uses_worker").passed


MIB = 1 << 20
OUTPUT = 12 * MIB


def process_variant(
    api, rss_growth, wall, kept, correct=True, error=None, in_buffers=0, at_end=None, read=None
):
    """One process's runs: RSS growth (garbage included) and the retained growth judged."""
    variant = {
        "api": api,
        "runs": 3,
        "correct": correct,
        "answer": 3315 if correct else None,
        "error": error,
        "wall_ms": spread(wall),
        "cpu_ms": spread(wall / 3),
        "rss_before_bytes": 58 * MIB,
        "peak_rss_bytes": 58 * MIB + rss_growth,
        "peak_rss_growth_bytes": rss_growth,
        "retained_before_bytes": 5 * MIB,
        "retained_growth_bytes": spread(kept, kept // 2, kept),
        "retained_growth_array_buffer_bytes": spread(in_buffers),
        "retained_at_output_end_bytes": at_end,
        "retained_samples": spread(5),
    }
    if read is not None:
        variant["command"] = read
    return variant


def command(spawns=3, least=OUTPUT, other_spawns=0, other_file=None):
    """What the hooks saw of the command: starts, bytes of its stdout received, others."""
    return {
        "spawns": spawns,
        "bytes_read_min": least,
        "bytes_read_max": least,
        "other_spawns": other_spawns,
        "other_file": other_file,
    }


EXEC_REFERENCE = process_variant("execFile", 44 * MIB, 400, int(12.5 * MIB), at_end=None)


def spawn_measurements(student):
    kept = student["retained_growth_bytes"]["max"] if student else None
    read = (student or {}).get("command", {}).get("bytes_read_min")
    return {
        "cpu_quota_cpus": 1,
        "throttling": {"periods": 20, "throttled_periods": 0, "throttled_ms": 0},
        "output_bytes": OUTPUT,
        "expected_errors": 3315,
        "exec_default_max_buffer_bytes": MIB,
        "repeats": 3,
        "problem": None,
        "problem_detail": None,
        "variants": {"exec_reference": EXEC_REFERENCE, "student": student},
        "memory_ratio": None
        if not student
        else round(student["peak_rss_growth_bytes"] / (44 * MIB), 3),
        "time_ratio": 0.75,
        "retained_ratio": None if kept is None else round(kept / OUTPUT, 3),
        "exec_retained_ratio": round(12.5 / 12, 3),
        "read_ratio": None if read is None else round(read / OUTPUT, 3),
    }


def calls(**counts):
    names = ("spawn", "exec", "execFile", "fork", "spawnSync", "execSync", "execFileSync")
    return {name: counts.get(name, 0) for name in names}


def grade_spawn(student, **counts):
    return grade(
        "spawn-vs-exec", report("spawn-vs-exec", spawn_measurements(student), calls(**counts))
    )


def failed_checks(result):
    return [item.name for item in result.checks if not item.passed]


def test_spawn_solution_passes_and_ada_compares_its_retained_memory_with_execs():
    student = process_variant("spawn", 6 * MIB, 300, 300 << 10, at_end=250 << 10, read=command())
    result = grade_spawn(student, spawn=3)

    assert (result.verdict, result.score) == ("passed", 1.0)
    assert "12.0 MiB" in result.feedback and "kept 12.5 MiB reachable" in result.feedback
    assert "kept 300 KiB (2% of the output)" in result.feedback
    assert "kept at most 300 KiB reachable (2% of it)" in check(result, "streams_output").message


def test_buffer_only_reader_whose_garbage_grew_the_rss_still_streams():
    # The case: the RSS grew almost as much as exec's (uncollected pipe buffers),
    # but after a full collection the reader held only a chunk and the unfinished line.
    student = process_variant(
        "spawn", 40 * MIB, 280, 200 << 10, in_buffers=70 << 10, at_end=90 << 10, read=command()
    )
    result = grade_spawn(student, spawn=3)

    assert result.verdict == "passed", failed_checks(result)
    assert result.measurements["memory_ratio"] > 0.9


@pytest.mark.parametrize(
    ("in_buffers", "form"),
    [(12 * MIB, "as the Buffer chunks themselves"), (MIB, "as strings")],
    ids=["kept-buffers", "kept-strings"],
)
def test_spawn_that_keeps_the_output_fails_and_says_how_it_kept_it(in_buffers, form):
    kept = int(12.3 * MIB)
    student = process_variant(
        "spawn", 30 * MIB, 350, kept, in_buffers=in_buffers, at_end=kept, read=command()
    )
    result = grade_spawn(student, spawn=3)

    assert failed_checks(result) == ["streams_output"]
    message = check(result, "streams_output").message
    assert "kept 12.3 MiB of the 12.0 MiB output reachable while reading it (102%)" in message
    assert form in message and "all still held when the output ended" in message


def test_exec_stopped_by_max_buffer_fails_and_says_why():
    student = process_variant(
        "exec",
        3 * MIB,
        170,
        MIB,
        correct=False,
        error="RangeError: stdout maxBuffer length exceeded",
        read=command(least=MIB),
    )
    result = grade_spawn(student, exec=3)

    assert result.verdict == "failed"
    correct = check(result, "correct_result")
    assert "maxBuffer" in correct.message and "1.0 MiB" in correct.message
    assert "You called exec" in check(result, "uses_spawn").message
    assert "Not measured" in check(result, "streams_output").message


def test_exec_with_a_big_buffer_is_right_but_buffers():
    kept = int(12.6 * MIB)
    student = process_variant("execFile", 49 * MIB, 400, kept, at_end=kept, read=command())
    result = grade_spawn(student, execFile=3)

    assert failed_checks(result) == ["uses_spawn", "streams_output"]
    assert "exec and execFile gather the whole output" in check(result, "streams_output").message


def test_a_shell_pipeline_that_counts_elsewhere_does_not_read_the_stream():
    student = process_variant(
        "spawn",
        MIB,
        300,
        80 << 10,
        read=command(spawns=0, least=0, other_spawns=3, other_file="sh"),
    )
    result = grade_spawn(student, spawn=3)

    assert failed_checks(result) == ["reads_the_stream", "streams_output"]
    assert "it started `sh` instead" in check(result, "reads_the_stream").message
    assert "Not judged" in check(result, "streams_output").message


def test_a_command_started_but_never_read_does_not_read_the_stream():
    # Spawned, output drained unread, the count made some other way (re-generating the log).
    student = process_variant("spawn", 8 * MIB, 900, 200 << 10, read=command(least=0))
    result = grade_spawn(student, spawn=3)

    assert failed_checks(result) == ["reads_the_stream", "streams_output"]
    reads = check(result, "reads_the_stream").message
    assert "started the command but read none of its 12.0 MiB of output" in reads


def test_spawn_ignored_while_exec_file_sync_counts_fails_both_ways():
    student = process_variant("spawn+execFileSync", 20 * MIB, 900, 40 << 10, read=command(least=0))
    result = grade_spawn(student, spawn=3, execFileSync=3)

    assert failed_checks(result) == ["uses_spawn", "reads_the_stream", "streams_output"]
    assert "got the count from execFileSync" in check(result, "reads_the_stream").message


def test_a_partial_read_says_how_much_arrived():
    student = process_variant("spawn", 2 * MIB, 300, 100 << 10, read=command(least=3 * MIB))
    result = grade_spawn(student, spawn=3)

    assert (
        "read only 3.0 MiB of the command's 12.0 MiB" in check(result, "reads_the_stream").message
    )


def test_malformed_child_process_calls_make_the_report_untrusted():
    stdout = report("spawn-vs-exec", spawn_measurements(None), {"spawn": -1})
    assert grade("spawn-vs-exec", stdout).verdict == "infra_error"


def test_thread_lab_feedback_quotes_the_main_threads_stall_while_the_worker_ran():
    delay = {"p50_ms": 0.2, "p99_ms": 1.3, "max_ms": 2.5, "samples": 8, "window_ms": 81}
    observations = {
        "workers_created": 1,
        "workers_online": 1,
        "messages_to_main": 1,
        "messages_to_worker": 0,
    }
    code = (
        "const { Worker, isMainThread, parentPort } = require('worker_threads');\n"
        "if (isMainThread) new Worker(__filename).on('message', console.log);\n"
        "else parentPort.postMessage('hi');\n"
    )
    request = GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id="8",
        tenant_id="1",
        lab_id="thread-lab",
        lab_kind="thread-lab",
        files=(SubmittedFile("main.js", code),),
        entrypoint="main.js",
        limits=Limits(5, 256, 1, 64, 1 << 20),
    )
    stdout = report(
        "thread-lab", {"loop_delay_while_workers_ran": delay}, observations=observations
    )
    result = grade_request(request, lambda job: SandboxRun(0, stdout, False, False, "t"))

    assert result.verdict == "passed"
    assert "they talked" in result.feedback
    assert "longest event-loop stall was 2.5 ms (p99 1.3 ms)" in result.feedback
    # Nothing for the portal to chart or diagnose: the Thread Lab's kind analyses nothing.
    assert (result.findings, result.diagnoses, result.charts) == ((), (), ())


def test_measurements_are_passed_through_unchanged():
    result = grade("unblock-the-loop", report("unblock-the-loop", copy.deepcopy(N_WORKERS)))
    assert {key: result.measurements[key] for key in N_WORKERS} == N_WORKERS
    assert result.measurements["wall_ms"] == 7000.0


def test_an_unblock_result_carries_the_findings_diagnoses_and_charts_the_portal_shows():
    result = grade("unblock-the-loop", report("unblock-the-loop", BLOCKING))

    assert result.schema_version == GRADE_RESULT_VERSION
    assert (
        "The main thread's longest stall (p99 event-loop delay) was 590 ms when the job "
        "blocked it, and 588 ms with your workers." in result.findings
    )
    assert result.diagnoses[0].cause == "work_on_main_thread"
    stalls, speedup = result.charts
    assert [bar.label for bar in stalls.bars] == ["Main thread", "1 worker", "2 workers"]
    # Each judged bar carries the outcome of the check the student sees beside it.
    one_worker = stalls.bars[1]
    assert (one_worker.check, one_worker.outcome) == ("keeps_loop_responsive", "did_not_hold")
    assert not check(result, "keeps_loop_responsive").passed
    assert (speedup.bars[0].text, speedup.ideal_label) == ("1x", "Ideal on this quota: 2x")
    assert speedup.bars[0].outcome == result.measurements["judged"]["speedup"]["outcome"]
    wire = json.loads(json.dumps(encode_grade_result(result, GRADE_RESULT_VERSION)))
    assert decode(GradeResult, wire) == result


def test_a_full_marks_unblock_result_is_diagnosed_with_nothing():
    result = grade("unblock-the-loop", report("unblock-the-loop", N_WORKERS))

    assert result.verdict == "passed" and result.diagnoses == ()
    assert len(result.findings) == 2 and len(result.charts) == 2
    bars = [bar for chart in result.charts for bar in chart.bars]
    assert {bar.outcome for bar in bars if bar.check} == {"held"}


def test_a_spawn_result_that_kept_the_output_is_diagnosed_and_quotes_the_calls():
    kept = int(12.3 * MIB)
    student = process_variant(
        "spawn", 30 * MIB, 350, kept, in_buffers=kept, at_end=kept, read=command()
    )
    result = grade_spawn(student, spawn=3)

    assert [diagnosis.cause for diagnosis in result.diagnoses] == ["output_kept_in_memory"]
    assert result.findings[0] == "Your code called `spawn` from `child_process`."
    assert result.charts == ()
