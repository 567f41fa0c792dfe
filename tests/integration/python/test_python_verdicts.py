"""Python lab solutions in many styles, graded in the real Python sandbox: honest ones pass
(or are inconclusive only when the host was too busy to time them), dishonest ones fail on
the check that measures what they really did, with a message that says it.

The solutions are the course's reference ones and tests/python_sandbox/solutions/ (each
file's first line says its style). No assertion is on a duration: a dishonest solution
fails on structure (where the CPU time went, requests in flight, a loop late by more than
a request takes in every run), which a busy host cannot fake.

Async Gather's are graded under both runtimes (runc and gVisor's runsc): under runsc a
measured lab must stay truthful, its slower system calls making a check inconclusive at
worst, never failed.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "content" / "courses" / "python-concurrency" / "solutions"
STYLES = ROOT / "tests" / "python_sandbox" / "solutions"
# Short runs: enough to tell where the work ran and what the loop did, on a 2-core host.
GIL_SETTINGS = {"repeats": 2, "target_ms": 500}
GATHER_SETTINGS = {"repeats": 2}

HONEST = [
    ("beat-the-gil", REFERENCE / "beat-the-gil.py", GIL_SETTINGS),
    ("async-gather", REFERENCE / "async-gather.py", GATHER_SETTINGS),
    *(
        ("beat-the-gil", STYLES / "beat_the_gil" / name, GIL_SETTINGS)
        for name in (
            "pool_map.py",
            "process_pool_executor.py",
            "process_queue.py",
            "process_pipe.py",
            "pool_starmap_chunks.py",
        )
    ),
    *(
        ("async-gather", STYLES / "async_gather" / name, GATHER_SETTINGS)
        for name in ("gather.py", "task_group.py", "as_completed.py")
    ),
]
# (lab, solution, the check that fails, what its message says the code did)
DISHONEST = [
    (
        "beat-the-gil",
        "decoy_idle_processes.py",
        "work_ran_in_processes",
        "the counting ran in the main process. 2 child processes were alive, but none",
    ),
    ("beat-the-gil", "threads.py", "work_ran_in_processes", "the counting ran in the main"),
    ("beat-the-gil", "hard_coded.py", "correct_result", "a fixed number cannot be right"),
    ("async-gather", "sequential.py", "runs_concurrently", "never had more than one"),
    ("async-gather", "semaphore.py", "runs_concurrently", "at most 5 of your 20 requests"),
    ("async-gather", "time_sleep.py", "loop_never_blocked", "a synchronous call held"),
    ("async-gather", "sync_urllib.py", "loop_never_blocked", "a synchronous call held"),
    (
        "async-gather",
        "as_completed_unordered.py",
        "correct_result",
        "in the order the responses arrived",
    ),
]
FOLDERS = {"beat-the-gil": "beat_the_gil", "async-gather": "async_gather"}
SETTINGS = {"beat-the-gil": GIL_SETTINGS, "async-gather": GATHER_SETTINGS}
# The labs graded under each runtime; the others under runc only.
BOTH_RUNTIMES = {"async-gather"}
# A limit's requests, like a slow start's, miss the peak: the judge tells them apart by
# the span over which the server received them, less the loop's wait for a CPU, against
# the grader's own gather's opening (async_gather._held_back). A semaphore of five spans
# at least three shortest delays, so it is left undecided only when the grader's gather
# took the shortest delay or more to open its requests (gVisor on a busy host) or the
# loop waited that long for a CPU: then, and only then, inconclusive is true, never passed.
BUSY_HOST_MAY_HIDE = {"semaphore.py"}

pytestmark = pytest.mark.docker


def under_runtimes(cases):
    """Each case with the runtime (the indirect `sandbox_runtime`) as its last value."""
    return [
        pytest.param(*case, runtime, id=f"{runtime}-{case[0]}-{getattr(case[1], 'name', case[1])}")
        for case in cases
        for runtime in (("runc", "runsc") if case[0] in BOTH_RUNTIMES else ("runc",))
    ]


def check(result, name):
    return next(item for item in result.checks if item.name == name)


def gather_host_was_busy(result):
    """Whether, by the grader's own figures, the grader's gather took at least the shortest
    delay to open its requests, or the student's loop waited at least that for a CPU."""
    m = result.measurements
    shortest = 2 * m["sum_ms"] / m["urls"] - m["slowest_ms"]
    opening = m["variants"]["reference_gather"]["arrival_span_ms"]["max"]
    waited = (m["variants"]["fetch_all"].get("run_queue_wait_ms") or {}).get("max") or 0.0
    return max(opening, waited) >= shortest


@pytest.mark.parametrize(
    ("lab", "path", "settings", "sandbox_runtime"),
    under_runtimes(HONEST),
    indirect=["sandbox_runtime"],
)
def test_honest_solutions_pass_or_are_inconclusive_never_failed(
    grade_solution, lab, path, settings, sandbox_runtime
):
    result = grade_solution(lab, path, settings)

    assert result.verdict in ("passed", "inconclusive"), result.checks
    for item in result.checks:
        assert item.passed or item.inconclusive, item
    assert result.charts and result.findings


@pytest.mark.parametrize(
    ("lab", "solution", "name", "says", "sandbox_runtime"),
    under_runtimes(DISHONEST),
    indirect=["sandbox_runtime"],
)
def test_dishonest_solutions_fail_on_the_check_that_measures_it(
    grade_solution, lab, solution, name, says, sandbox_runtime
):
    result = grade_solution(lab, STYLES / FOLDERS[lab] / solution, SETTINGS[lab])

    failed = check(result, name)
    if solution in BUSY_HOST_MAY_HIDE and gather_host_was_busy(result):
        assert result.verdict in ("failed", "inconclusive"), result.checks
        assert failed.inconclusive or not failed.passed, failed
        if failed.inconclusive:
            assert "Not judged" in failed.message, failed.message
            assert "host_busy" in [item.cause for item in result.diagnoses]
            return
    assert result.verdict == "failed", result.checks
    assert not failed.passed and not failed.inconclusive, failed
    assert says in failed.message, failed.message
    assert result.diagnoses


def test_a_function_that_never_returns_is_stopped_scores_nothing_and_says_so(
    grade_solution, tmp_path
):
    """Issue 14: a run that never ended scored partial marks for the checks that held."""
    path = tmp_path / "main.py"
    path.write_text("async def fetch_all(urls):\n    while True:\n        pass\n")

    result = grade_solution("async-gather", path, GATHER_SETTINGS, wall_seconds=5.0)

    assert (result.verdict, result.score) == ("timeout", 0.0), result.feedback
    lines = result.feedback.splitlines()
    assert lines[0] == "Your program ran out of time. Stopped after 5.0 s of wall time."
    assert lines[1].startswith("Start here: Your program was stopped at the time limit")
    assert not check(result, "exits_cleanly").passed
