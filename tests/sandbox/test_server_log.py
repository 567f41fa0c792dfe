"""Spawn vs Exec's command prints the same log as before its formatting was made cheaper.

The log is a pure function of its seed and size, and the grader's answer (describeLog)
is computed from the same generator without running the command. The generator now
formats numbers from tables made once; these hashes were taken from the generator that
formatted each line from scratch, so any byte it would print differently fails here.
Runs the image's file with the host's Node.js, no container.
"""

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require

SERVER_LOG = (
    Path(__file__).resolve().parents[2] / "services/sandbox-image/labs/spawn-vs-exec/server-log.js"
)


def node() -> str:
    found = shutil.which("node")
    require(found is not None, "Node.js is needed to run the lab's command")
    return str(found)


@pytest.mark.parametrize(
    ("seed", "mib", "sha256"),
    [
        (7, "8", "a9cd3bcf01cdd861b73d8e675ee55207ef8ba68ed3ca48f6d1e17b4ad35e67ab"),
        (123456, "32", "ccaa948dfb79511ded00eb49fda197f533f976e3a1fa162a38bd89bcc476fcfe"),
    ],
)
def test_the_command_prints_the_log_it_always_printed(seed, mib, sha256):
    done = subprocess.run(
        [node(), str(SERVER_LOG), "--seed", str(seed), "--mib", mib],
        capture_output=True,
        check=True,
        timeout=60,
    )

    assert hashlib.sha256(done.stdout).hexdigest() == sha256


def test_the_graders_answer_counts_the_printed_error_lines():
    printed = subprocess.run(
        [node(), str(SERVER_LOG), "--seed", "99", "--mib", "2"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    script = (
        f"const {{ describeLog }} = require({str(SERVER_LOG)!r});"
        "process.stdout.write(JSON.stringify(describeLog(99, Math.round(2 * 1024 * 1024))));"
    )
    answer = subprocess.run(
        [node(), "-e", script], capture_output=True, check=True, text=True, timeout=60
    ).stdout

    lines = printed.decode().splitlines()
    errors = sum("ERROR" in line for line in lines)
    assert answer == f'{{"error_lines":{errors},"bytes":{len(printed)}}}'
