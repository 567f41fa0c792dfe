"""Thread Lab solutions in many styles, graded in the real sandbox: honest ones pass with
every check, dishonest ones fail for the check that really did not hold.

The honest styles hide their `postMessage` from the parser (a worker built from a string,
a `data:` URL) or take unusual routes (a transferred MessagePort, classes): the run-time
evidence that a message crossed must win over the static reading. Each file's first line
says its style.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

VERDICTS = Path(__file__).parent / "solutions" / "verdicts" / "thread-lab"
GRADER = str(Path(sys.executable).parent / "grader")
CHECK_COUNT = 8  # parses, the lab's six, exits_cleanly
HIDDEN_FROM_THE_PARSER = {"eval_string_worker.js", "data_url_worker.js"}

pytestmark = pytest.mark.docker


def grade(path: Path, image: str) -> tuple[int, dict]:
    done = subprocess.run(
        [GRADER, "grade", "--lab", "thread-lab", str(path), "--image", image],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def style_of(path: Path) -> str:
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("// Style: "), path
    return first_line.removeprefix("// Style: ")


def honest_files() -> list[Path]:
    return sorted((VERDICTS / "honest").iterdir())


@pytest.mark.parametrize("solution", honest_files(), ids=lambda path: path.name)
def test_honest_solution_passes_with_every_check(solution, sandbox_image):
    status, result = grade(solution, sandbox_image)
    assert style_of(solution)
    failed = [check["name"] for check in result["checks"] if not check["passed"]]
    assert (status, result["verdict"], result["score"], failed) == (0, "passed", 1.0, []), result
    assert len(result["checks"]) == CHECK_COUNT
    assert result["feedback"].startswith(f"Simulation complete. All {CHECK_COUNT} checks hold.")
    assert "main received" in result["output"]["text"]
    if solution.name in HIDDEN_FROM_THE_PARSER:
        # The static reading sees no postMessage call; the run-time evidence decides.
        sends = next(check for check in result["checks"] if check["name"] == "sends_message")
        assert "really crossed" in sends["message"]


@pytest.mark.parametrize(
    ("solution", "deciding_check", "says"),
    [
        ("post_message_never_runs.js", "sends_message", "does not count"),
        ("faked_message_event.js", "message_crossed", "emits on the Worker does not count"),
        ("exits_before_arrival.js", "message_crossed", "exited before the message"),
    ],
)
def test_dishonest_solution_fails_for_the_check_that_did_not_hold(
    solution, deciding_check, says, sandbox_image
):
    path = VERDICTS / "dishonest" / solution
    assert style_of(path)
    status, result = grade(path, sandbox_image)
    assert (status, result["verdict"]) == (1, "failed"), result
    first_failed = next(check for check in result["checks"] if not check["passed"])
    assert first_failed["name"] == deciding_check
    assert says in first_failed["message"]
    assert f"Start here: {first_failed['message']}" in result["feedback"]
    failed = sum(not check["passed"] for check in result["checks"])
    assert f"{failed} of {CHECK_COUNT} checks did not hold." in result["feedback"]
    assert result["score"] == round((CHECK_COUNT - failed) / CHECK_COUNT, 2)
