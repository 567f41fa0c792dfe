"""Spawn vs exec solutions in many styles, graded in the real sandbox: every honest way of
streaming the command's output passes, and no decoy does, for the check that measures it.

The checks judge what happened in the student's process, not what was started: how many
bytes of the command's own stdout reached the student's code (a shell pipeline that counts
with grep, a command started and left unread while the count comes from elsewhere, fail
`reads_the_stream`), and how much of the output stayed reachable after a forced collection
while it was read (keeping the chunks or a growing string fails `streams_output`; a reader
that only handles Buffers, whose garbage once grew the RSS like exec's, passes). Each
file's first line says its style. The job is shorter than the lab's default (4 MiB, one
call): a streaming reader keeps a few hundred KiB, a keeping one about all of the output,
so the judgement is as clear at 4 MiB as at 8.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

VERDICTS = Path(__file__).parent / "solutions" / "verdicts" / "spawn-vs-exec"
GRADER = str(Path(sys.executable).parent / "grader")
SHORT_JOB = {"output_mib": 4, "repeats": 1}
HONEST = {
    "readline_lines.js",
    "buffer_scan_tail.js",
    "string_chunks_partial_line.js",
    "for_await_chunks.js",
    "transform_pipeline.js",
    "es_module.mjs",
    "set_encoding_split.js",
}
# Dishonest solutions: (the check that decides, what its message says, the checks that fail).
DISHONEST = {
    "keeps_chunks_concat_at_end.js": (
        "streams_output",
        "as the Buffer chunks themselves, all still held when the output ended",
        {"streams_output"},
    ),
    "accumulates_string.js": (
        "streams_output",
        "as strings, all still held when the output ended",
        {"streams_output"},
    ),
    "exec_big_max_buffer.js": (
        "streams_output",
        "exec and execFile gather the whole output",
        {"uses_spawn", "streams_output"},
    ),
    "exec_file_sync.js": (
        "reads_the_stream",
        "it ran it with execFileSync",
        {"uses_spawn", "reads_the_stream", "streams_output"},
    ),
    "shell_grep_count.js": (
        "reads_the_stream",
        "it started `sh` instead",
        {"reads_the_stream", "streams_output"},
    ),
    "regenerates_log.js": (
        "reads_the_stream",
        "started the command but read none of its 4.0 MiB of output",
        {"reads_the_stream", "streams_output"},
    ),
    "spawn_ignored_exec_file_sync.js": (
        "reads_the_stream",
        "read none of its 4.0 MiB of output and got the count from execFileSync",
        {"uses_spawn", "reads_the_stream", "streams_output"},
    ),
}

pytestmark = pytest.mark.docker


def grade(path: Path, image: str) -> tuple[int, dict]:
    command = [GRADER, "grade", "--lab", "spawn-vs-exec", str(path), "--image", image]
    command += ["--check-config", json.dumps(SHORT_JOB)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
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
    assert {path.name for path in solutions("honest")} == HONEST
    assert {path.name for path in solutions("dishonest")} == set(DISHONEST)


@pytest.mark.parametrize("solution", sorted(HONEST), ids=str)
def test_honest_streaming_passes(solution, sandbox_image):
    path = VERDICTS / "honest" / solution
    status, result = grade(path, sandbox_image)

    checks = checks_of(result)
    failing = {name: check["message"] for name, check in checks.items() if not check["passed"]}
    assert (status, result["verdict"], result["score"]) == (0, "passed", 1.0), (
        style_of(path),
        failing,
    )
    assert "reached your code in every call" in checks["reads_the_stream"]["message"]
    assert "your code kept at most" in checks["streams_output"]["message"]
    m = result["measurements"]
    assert m["read_ratio"] >= 0.95
    # What a streaming reader retains is a small part of what exec's buffering does.
    assert m["retained_ratio"] < m["exec_retained_ratio"] / 2


@pytest.mark.parametrize("solution", sorted(DISHONEST), ids=str)
def test_decoys_fail_the_check_that_measures_what_they_did(solution, sandbox_image):
    deciding, says, failing = DISHONEST[solution]
    path = VERDICTS / "dishonest" / solution
    status, result = grade(path, sandbox_image)

    checks = checks_of(result)
    assert (status, result["verdict"]) == (1, "failed"), style_of(path)
    assert checks["correct_result"]["passed"], "every decoy gets the count right"
    assert {name for name, check in checks.items() if not check["passed"]} == failing
    assert says in checks[deciding]["message"]
