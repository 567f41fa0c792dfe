"""`grader grade --adapter python` from the command line: the exit codes a lab author uses.

Exit 0 passed, 1 any other verdict, 2 refused (an unknown lab kind), through the same
pipeline a queued job takes.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

GRADER = str(Path(sys.executable).parent / "grader")
STYLES = Path(__file__).resolve().parents[2] / "python_sandbox" / "solutions"


def grade(*arguments: str) -> subprocess.CompletedProcess:
    command = [GRADER, "grade", "--adapter", "python", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_an_unknown_lab_kind_is_refused_with_the_kinds_python_knows():
    done = grade("--lab", "thread-lab", str(STYLES / "async_gather" / "gather.py"))

    assert done.returncode == 2
    assert "async-gather" in done.stderr and "beat-the-gil" in done.stderr


@pytest.mark.docker
@pytest.mark.parametrize(
    ("lab", "solution"),
    [("async-gather", "async_gather/sequential.py"), ("beat-the-gil", "beat_the_gil/threads.py")],
)
def test_a_failed_solution_exits_1_with_the_result_as_json(
    python_sandbox_image, no_leftover_containers, lab, solution
):
    settings = json.dumps({"repeats": 1})
    path = str(STYLES / solution)
    done = grade("--lab", lab, path, "--check-config", settings, "--image", python_sandbox_image)

    result = json.loads(done.stdout)
    assert (done.returncode, result["verdict"]) == (1, "failed"), done.stderr
    assert result["charts"] and result["diagnoses"]


@pytest.mark.docker
def test_a_passing_solution_exits_0(python_sandbox_image, no_leftover_containers):
    path = str(STYLES / "async_gather" / "gather.py")
    done = grade("--lab", "async-gather", path, "--image", python_sandbox_image)

    result = json.loads(done.stdout)
    # The clock may be too busy to judge (exit 1, inconclusive), never failed.
    assert result["verdict"] in ("passed", "inconclusive")
    assert done.returncode == (0 if result["verdict"] == "passed" else 1)
