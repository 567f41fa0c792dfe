"""Unblock the Loop solutions in many styles, graded in the real sandbox: honest ones pass
(or are inconclusive only when the host was too busy to time the speedup), dishonest ones
do not get what they did not do, for the check that measures it.

The checks judge where the work ran (each thread's CPU time), not what was started: a pool
of idle workers beside a main thread that crunches, a token share in a worker, the job in
child processes, a main thread blocked in Atomics.wait while its worker works, and workers
awaited one after another are each caught by the measurement that tells. Each file's first
line says its style. Solutions judged on where the work ran get a short job; the honest
N-worker ones, whose full marks rest on the speedup, get the lab's default job.

Under runsc (gVisor) there is no schedstat: each thread's CPU time comes from its stat
file's clock ticks instead, and the dishonest solutions are caught by the same checks.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

VERDICTS = Path(__file__).parent / "solutions" / "verdicts" / "unblock-the-loop"
GRADER = str(Path(sys.executable).parent / "grader")
# Enough to tell which thread did the work; the speedup needs the default size.
SHORT_JOB = {"repeats": 1, "target_ms": 300}
REQUIRED = ("parses", "exports_solve", "correct_result", "uses_worker", "keeps_loop_responsive")
# Honest solutions that split the job over N workers: full marks unless the host was too busy.
SPLITTING = {
    "eval_string_worker.js",
    "pool_between_calls.js",
    "shared_buffer_wait_async.js",
    "module_self_url.mjs",
    "once_message_promise_all.js",
}
# Dishonest solutions: (verdict, the check that decides, what its message says).
DISHONEST = {
    "idle_pool_main_slices.js": ("failed", "uses_worker", "crunch() ran on the main thread"),
    "token_worker.js": ("failed", "uses_worker", "crunch() ran on the main thread"),
    "child_process_fork.js": ("failed", "uses_worker", "another process"),
    "atomics_wait_main.js": (
        "failed",
        "keeps_loop_responsive",
        "waiting for the worker synchronously",
    ),
    "sequential_workers.js": ("passed", "speeds_up", "worked one after another"),
}

pytestmark = pytest.mark.docker


def grade(
    path: Path, image: str, check_config: dict | None = None, runtime: str = "runc"
) -> tuple[int, dict]:
    command = [GRADER, "grade", "--lab", "unblock-the-loop", str(path), "--image", image]
    if check_config is not None:
        command += ["--check-config", json.dumps(check_config)]
    environment = os.environ | {"SANDBOX_RUNTIME": runtime}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def style_of(path: Path) -> str:
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("// Style: "), path
    return first_line.removeprefix("// Style: ")


def checks_of(result: dict) -> dict[str, dict]:
    return {check["name"]: check for check in result["checks"]}


def solutions(kind: str) -> list[Path]:
    return sorted((VERDICTS / kind).iterdir())


def test_every_solution_has_a_style_and_an_expectation():
    for path in solutions("honest") + solutions("dishonest"):
        assert style_of(path)
    assert {path.name for path in solutions("dishonest")} == set(DISHONEST)
    assert {path.name for path in solutions("honest")} == SPLITTING | {"one_worker_only.js"}


@pytest.mark.parametrize("solution", sorted(SPLITTING), ids=str)
def test_honest_split_gets_full_marks_or_is_measured_again(solution, sandbox_image):
    status, result = grade(VERDICTS / "honest" / solution, sandbox_image)

    checks = checks_of(result)
    # Under runc the job is sized as it always was: the lab's target, on process CPU time.
    assert result["measurements"]["job"] == {"cpu_ms": 450, "clock": "process"}
    assert all(checks[name]["passed"] for name in REQUIRED), result["checks"]
    assert "the worker threads spent" in checks["uses_worker"]["message"]
    assert checks["splits_over_workers"]["passed"], checks["splits_over_workers"]
    speeds_up = checks["speeds_up"]
    if result["verdict"] == "inconclusive":
        # Only a host too busy to time the speedup may leave it open, never the code.
        assert speeds_up["inconclusive"] and "too busy" in speeds_up["message"], speeds_up
        assert result["gradable"] is False
    else:
        assert (status, result["verdict"], result["score"]) == (0, "passed", 1.0), speeds_up


@pytest.mark.parametrize("sandbox_runtime", ["runsc"], indirect=True)
def test_under_runsc_each_threads_cpu_comes_from_its_stat_ticks(sandbox_runtime, sandbox_image):
    status, result = grade(
        VERDICTS / "honest" / "pool_between_calls.js", sandbox_image, runtime=sandbox_runtime
    )

    checks = checks_of(result)
    m = result["measurements"]
    assert m["thread_cpu"] == {"source": "stat", "precision_ms": 10}
    # The job is sized on the main thread's own ticks, for at least 100 of them: gVisor's
    # process CPU time charged a 40 ms calibration for the sandbox's work too and sized jobs
    # of a fifth of that or less, which starting workers (hundreds of ms there) drowned.
    assert m["job"] == {"cpu_ms": 1000, "clock": "main_thread"}
    blocking_main = m["variants"]["blocking"]["main_thread_cpu_ms"]["median"]
    assert blocking_main >= m["job"]["cpu_ms"] / 2, m["variants"]["blocking"]
    # A loaded host inflates gVisor's ticks (a thread is charged for waiting for a CPU), one
    # run more than the next: that may leave a check open, measured again, never failed.
    held_or_open = [checks[name]["passed"] or checks[name]["inconclusive"] for name in REQUIRED]
    assert all(held_or_open), result["checks"]
    for check in result["checks"]:
        assert not check["inconclusive"] or "Not judged" in check["message"], check
    assert checks["splits_over_workers"]["passed"], checks["splits_over_workers"]
    speeds_up = checks["speeds_up"]
    assert speeds_up["passed"] or speeds_up["inconclusive"], speeds_up


def test_one_worker_solution_passes_with_partial_marks(sandbox_image):
    status, result = grade(VERDICTS / "honest" / "one_worker_only.js", sandbox_image, SHORT_JOB)

    checks = checks_of(result)
    assert (status, result["verdict"]) == (0, "passed"), result["checks"]
    assert 0 < result["score"] < 1
    assert "1 thread did a share of the work" in checks["splits_over_workers"]["message"]
    assert not checks["speeds_up"]["passed"] and not checks["speeds_up"]["inconclusive"]


@pytest.mark.parametrize("solution", sorted(DISHONEST), ids=str)
@pytest.mark.parametrize("sandbox_runtime", ["runc", "runsc"], indirect=True)
def test_dishonest_solution_is_caught_by_the_check_that_measures_it(
    solution, sandbox_runtime, sandbox_image
):
    verdict, deciding, says = DISHONEST[solution]

    # gVisor stalls the main thread for tens of ms as workers start: against the short job's
    # ~150 ms blocking stall that is a quarter of it, so there the lab's own job is timed.
    job = SHORT_JOB if sandbox_runtime == "runc" else None
    status, result = grade(VERDICTS / "dishonest" / solution, sandbox_image, job, sandbox_runtime)

    checks = checks_of(result)
    assert result["verdict"] == verdict, result["checks"]
    assert result["score"] < 1
    assert not checks[deciding]["passed"] and not checks[deciding]["inconclusive"]
    if sandbox_runtime == "runc":
        # gVisor's process CPU counts its own work too, so there the sentence may name the
        # other half of the same evidence (no worker did the work); the check is the same.
        assert says in checks[deciding]["message"], checks[deciding]
    assert all("No worker thread came online" not in check["message"] for check in result["checks"])
    if verdict == "failed":
        assert status == 1
