"""`grader grade --lab thread-lab FILE` in a real container: verdicts, reasons, exit codes."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

SOLUTIONS = Path(__file__).parent / "solutions"
GRADER = str(Path(sys.executable).parent / "grader")
THREAD_LAB_WALL_SECONDS = 5.0

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


def check(result: dict, name: str) -> dict:
    return next(item for item in result["checks"] if item["name"] == name)


@pytest.mark.parametrize(
    "solution",
    ["thread_lab_commonjs.js", "thread_lab_module.mjs", "thread_lab_import_in_js.js"],
)
def test_correct_solution_passes(solution, sandbox_image, no_leftover_containers):
    status, result = grade(SOLUTIONS / solution, sandbox_image)
    assert (status, result["verdict"], result["score"]) == (0, "passed", 1.0), result
    assert "main received" in result["output"]["text"]
    assert check(result, "message_crossed")["passed"]
    assert result["achievements"] == [{"kind": "lab_passed", "lab_id": "thread-lab"}]


def test_listener_that_keeps_the_program_alive_still_passes_with_advice(sandbox_image):
    status, result = grade(SOLUTIONS / "keeps_listening.js", sandbox_image)
    assert (status, result["verdict"]) == (0, "passed")
    assert "terminate()" in check(result, "exits_cleanly")["message"]


@pytest.mark.parametrize(
    ("solution", "verdict", "failing_check", "says"),
    [
        ("keywords_only_in_comments.js", "failed", "imports_worker_threads", "Load the module"),
        ("never_sends.js", "failed", "message_crossed", "No message crossed"),
        ("exits_before_message.js", "failed", "message_crossed", "exited before the message"),
        ("syntax_error.js", "error", "parses", "Line 3"),
        ("crashes.js", "error", "exits_cleanly", "undefinedFunction is not defined"),
    ],
)
def test_wrong_solution_fails_for_its_stated_reason(
    solution, verdict, failing_check, says, sandbox_image, no_leftover_containers
):
    status, result = grade(SOLUTIONS / solution, sandbox_image)
    assert (status, result["verdict"]) == (1, verdict), result
    failing = check(result, failing_check)
    assert not failing["passed"]
    assert says in failing["message"]
    assert result["score"] < 1


@pytest.mark.parametrize("solution", ["infinite_loop.js", "bare_infinite_loop.js"])
def test_infinite_loop_times_out_within_the_limit_plus_overhead(
    solution, sandbox_image, no_leftover_containers
):
    started = time.monotonic()
    status, result = grade(SOLUTIONS / solution, sandbox_image)
    elapsed = time.monotonic() - started
    assert (status, result["verdict"]) == (1, "timeout")
    # Issue 14: it scored 12% and "Start here" pointed at loading worker_threads.
    assert result["score"] == 0.0
    lines = result["feedback"].splitlines()
    assert lines[0] == "Your program ran out of time. Stopped after 5.0 s of wall time."
    assert lines[1] == f"Start here: {check(result, 'exits_cleanly')['message']}"
    assert "a loop that never ends" in lines[1]
    # A bound on termination, not a performance figure: the harness's own timeout must
    # fire, well before the grader's outer one (wall * 1.5 + 10 s).
    assert elapsed < THREAD_LAB_WALL_SECONDS * 1.5 + 10


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\xff\xfeconsole.log(1)", "not UTF-8"),
        (b"x" * (64 * 1024 + 1), "64 KiB"),
    ],
)
def test_bad_input_is_refused_before_grading(content, says, tmp_path):
    path = tmp_path / "main.js"
    path.write_bytes(content)
    done = subprocess.run(
        [GRADER, "grade", "--lab", "thread-lab", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert says in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--lab", "no-such-lab", "x.js"], "unknown lab kind"),
        (["--lab", "thread-lab", "/nope.js"], "cannot read"),
    ],
)
def test_bad_usage_exits_2(arguments, says):
    done = subprocess.run([GRADER, "grade", *arguments], capture_output=True, text=True)
    assert done.returncode == 2 and says in done.stderr
