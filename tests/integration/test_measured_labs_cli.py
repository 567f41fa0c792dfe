"""`grader grade` on the measured labs, in a real container: verdicts and marks, not timings.

The verdicts rest on ratios measured in the same run (stall kept with a worker, speedup
against the quota's ideal, memory against exec's), so they hold on slow and fast hosts.
Only the N-worker solution runs with the lab's default size, because its full marks
depend on the speedup; the others are judged on relations that a short job shows as
well, so they run a shorter one to keep the suite quick.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).parent / "solutions"
# The course's own reference solutions: the ones the content tests and teachers rely on.
REFERENCE_SOLUTIONS = Path(__file__).resolve().parents[2] / "content/courses/node-workers/solutions"
GRADER = str(Path(sys.executable).parent / "grader")
SHORT_JOB = {"repeats": 1, "target_ms": 300}

pytestmark = pytest.mark.docker


def grade(lab: str, path: Path, image: str, check_config: dict | None = None) -> tuple[int, dict]:
    command = [GRADER, "grade", "--lab", lab, str(path), "--image", image]
    if check_config is not None:
        command += ["--check-config", json.dumps(check_config)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def check(result: dict, name: str) -> dict:
    return next(item for item in result["checks"] if item["name"] == name)


def test_n_worker_solution_gets_full_marks(sandbox_image, no_leftover_containers):
    status, result = grade(
        "unblock-the-loop", REFERENCE_SOLUTIONS / "unblock-the-loop.js", sandbox_image
    )

    m = result["measurements"]
    seen = {key: m.get(key) for key in ("speedup", "reference_speedup", "n_workers_vs_reference")}
    speeds_up = check(result, "speeds_up")
    if result["verdict"] == "inconclusive":
        # A host too busy to time the speedup leaves it open (measured again), never the code.
        assert speeds_up["inconclusive"] and "too busy" in speeds_up["message"], seen
    else:
        assert (status, result["verdict"], result["score"]) == (0, "passed", 1.0), (
            result["feedback"],
            seen,
        )
        assert "the main thread alone" in result["feedback"]
    assert m["variants"]["n_workers"]["peak_workers"] == 2
    assert m["variants"]["n_workers"]["busy_threads"] == 2
    assert m["loop_delay_p99_ratio"]["one_worker"] < 0.25
    assert check(result, "uses_worker")["passed"] and check(result, "splits_over_workers")["passed"]


def test_one_worker_solution_passes_with_partial_marks(sandbox_image, no_leftover_containers):
    status, result = grade(
        "unblock-the-loop",
        SOLUTIONS / "unblock-the-loop" / "one_worker.js",
        sandbox_image,
        SHORT_JOB,
    )

    assert (status, result["verdict"]) == (0, "passed"), result["feedback"]
    assert 0 < result["score"] < 1
    assert not check(result, "splits_over_workers")["passed"]
    assert "For full marks" in result["feedback"]


def test_blocking_solution_fails_and_ada_quotes_the_stall(sandbox_image, no_leftover_containers):
    status, result = grade(
        "unblock-the-loop", SOLUTIONS / "unblock-the-loop" / "blocking.js", sandbox_image, SHORT_JOB
    )

    assert (status, result["verdict"]) == (1, "failed"), result["feedback"]
    assert not check(result, "keeps_loop_responsive")["passed"]
    assert "crunch() ran on the main thread" in check(result, "uses_worker")["message"]
    assert "stalled the event loop for" in result["feedback"]
    # The blocking solution stalls the main thread about as long as the blocking run does.
    assert result["measurements"]["loop_delay_p99_ratio"]["one_worker"] > 0.5


def test_spawn_solution_passes_retaining_less_memory_than_exec(
    sandbox_image, no_leftover_containers
):
    status, result = grade("spawn-vs-exec", REFERENCE_SOLUTIONS / "spawn-vs-exec.js", sandbox_image)

    assert (status, result["verdict"], result["score"]) == (0, "passed", 1.0), result["feedback"]
    m = result["measurements"]
    assert m["variants"]["student"]["api"] == "spawn"
    # Judged on what stays reachable after a collection, not on the RSS (garbage included).
    assert m["read_ratio"] >= 0.95
    assert m["retained_ratio"] < m["exec_retained_ratio"] / 2


def test_exec_solution_fails_at_max_buffer(sandbox_image, no_leftover_containers):
    status, result = grade("spawn-vs-exec", SOLUTIONS / "spawn-vs-exec" / "exec.js", sandbox_image)

    assert (status, result["verdict"]) == (1, "failed"), result["feedback"]
    assert "maxBuffer" in check(result, "correct_result")["message"]
    assert not check(result, "uses_spawn")["passed"]
    assert result["measurements"]["variants"]["student"]["api"] == "exec"
