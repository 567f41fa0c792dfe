"""`make run`'s slow steps say what they do, that they are still going, and how they ended.

Real commands, run by scripts/progress.py as the Makefile and run_platform.py run them; the
heartbeat made short so that a command lasting a moment outlives it.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import progress  # noqa: E402
from progress import Progress, run_step  # noqa: E402


@pytest.fixture
def short_heartbeat(monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.1)


def test_a_step_longer_than_a_heartbeat_says_it_is_still_going(short_heartbeat):
    console = io.StringIO()

    code = run_step("warming up", ["sleep", "0.5"], console=console)

    lines = console.getvalue().splitlines()
    assert code == 0
    assert lines[0] == "run: warming up..."
    assert lines[1].startswith("run: warming up: still going (")
    assert lines[-1].startswith("run: warming up: done in ")
    assert len(lines) >= 3


def test_a_step_that_says_what_it_does_says_it_on_each_heartbeat():
    console = io.StringIO()
    doing = iter(["fetching", ""])
    step = Progress("building", console=console, interval=0, detail=lambda: next(doing))

    step.start()
    step.tick()
    step.tick()  # nothing to say: the plain line

    lines = console.getvalue().splitlines()
    assert lines[1].startswith("run: building: still going (") and lines[1].endswith("): fetching")
    assert lines[2].startswith("run: building: still going (") and lines[2].endswith(")")


def test_a_failed_step_says_so_with_its_exit_code():
    console = io.StringIO()

    code = run_step("installing", ["sh", "-c", "exit 3"], console=console)

    assert code == 3
    assert console.getvalue().splitlines()[-1].startswith("run: installing: failed (exit 3) in ")


def test_a_step_begun_elsewhere_counts_from_its_own_start():
    console = io.StringIO()
    step = Progress("building", console=console, interval=60)

    step.start(since=step.started - 42)
    elapsed = step.done("built")

    assert elapsed >= 42
    assert console.getvalue().splitlines()[-1].startswith("run: building: built in 4")


def test_the_command_runs_a_step_and_passes_its_exit_code_on():
    finished = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "progress.py"),
            "checking",
            "--",
            "sh",
            "-c",
            "exit 4",
        ],
        capture_output=True,
        text=True,
    )

    assert finished.returncode == 4
    assert finished.stdout.splitlines()[0] == "run: checking..."
    assert finished.stdout.splitlines()[-1].startswith("run: checking: failed (exit 4) in ")


def test_the_command_refuses_a_line_without_its_separator():
    finished = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "progress.py"), "checking", "true"],
        capture_output=True,
        text=True,
    )

    assert finished.returncode == 2
    assert "usage: progress.py LABEL -- COMMAND" in finished.stderr
