"""`make run`'s background image builds: one build of an image at a time, whoever asks,
its status told to any process that waits for it, and stopped when asked.

Real builder processes (scripts/sandbox_builds.py's `build` command) run a stand-in for
build-sandbox-image.sh, and a stand-in `docker` on PATH says whether the image exists: the
Engine plays no part in what is tested here (the real build is `make run`'s, measured by
bench/first_run.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import sandbox_builds  # noqa: E402
from sandbox_builds import SandboxBuild, main  # noqa: E402

from tests.conftest import require  # noqa: E402

WAIT_LIMIT_SECONDS = 60  # a bound on a hang, not a speed target


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    """A PATH whose `docker` says no image exists (the builder's and this process's)."""
    executable(tmp_path / "bin" / "docker", "#!/bin/sh\nexit 1\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return dict(os.environ)


def stand_in(tmp_path: Path, body: str) -> Path:
    """A build script: records each call in calls.txt, then runs `body`."""
    calls = tmp_path / "calls.txt"
    return executable(tmp_path / "build.sh", f'#!/bin/bash\necho "$1 $2" >> {calls}\n{body}\n')


def finished(build: SandboxBuild) -> int | None:
    return build.wait(threading.Event(), tick=_bounded(time.monotonic()))


def _bounded(started: float):
    def tick():
        assert time.monotonic() - started < WAIT_LIMIT_SECONDS, "the build never ended"

    return tick


def test_a_build_runs_the_script_and_records_its_output_and_exit_status(tmp_path, env):
    script = stand_in(tmp_path, 'echo "building $2"\nexit 3')
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state", script)

    assert build.start(env) is True
    assert finished(build) == 3
    assert build.log_path.read_text() == "building sandbox:test\n"
    assert (tmp_path / "calls.txt").read_text() == "node sandbox:test\n"
    assert build.log_tail() == "building sandbox:test"
    assert not build.running()


def test_asking_again_while_it_builds_starts_no_second_build(tmp_path, env):
    script = stand_in(tmp_path, f"while [ ! -e {tmp_path / 'go'} ]; do sleep 0.1; done")
    build = SandboxBuild("python", "sandbox:test", tmp_path / "state", script)
    try:
        assert build.start(env) is True
        deadline = time.monotonic() + WAIT_LIMIT_SECONDS
        while not build.running():
            assert time.monotonic() < deadline, "the builder never took its lock"
            time.sleep(0.05)

        assert build.start(env) is False
        assert build.started_at() is not None
    finally:
        (tmp_path / "go").touch()
    assert finished(build) == 0
    assert (tmp_path / "calls.txt").read_text() == "python sandbox:test\n"
    assert build.seconds() is not None


def test_a_previous_builds_status_is_not_taken_for_this_ones(tmp_path, env):
    script = stand_in(tmp_path, "sleep 0.5\nexit 5")
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state", script)
    build.state_dir.mkdir()
    build.exit_path.write_text("0\n")

    build.start(env)

    assert finished(build) == 5


def test_a_builder_that_finds_the_image_there_builds_nothing(tmp_path, env):
    executable(tmp_path / "bin" / "docker", "#!/bin/sh\nexit 0\n")  # the image exists
    script = stand_in(tmp_path, "exit 1")
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state", script)

    build.start(env)  # asked while it was missing (it appeared meanwhile)

    assert finished(build) == 0
    assert not (tmp_path / "calls.txt").exists()


def test_stopping_a_build_stops_the_whole_script_and_leaves_no_status(tmp_path, env, monkeypatch):
    monkeypatch.setattr(sandbox_builds, "START_GRACE_SECONDS", 0.5)  # gone once stopped
    pid_file = tmp_path / "child.pid"
    # The script's own child, as `docker build` or debootstrap would be.
    script = stand_in(tmp_path, f"sleep 600 &\necho $! > {pid_file}\nwait")
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state", script)
    build.start(env)
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the script never started"
        time.sleep(0.05)
    child = int(pid_file.read_text())

    build.stop()

    assert finished(build) is None  # interrupted: no status
    assert build.exit_status() is None
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while _alive(child):
        assert time.monotonic() < deadline, "the script's child outlived the stop"
        time.sleep(0.05)


def test_waiting_for_a_build_nobody_runs_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_builds, "START_GRACE_SECONDS", 0.2)
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state")

    assert finished(build) is None


def test_waiting_ends_when_the_platform_stops(tmp_path):
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state")
    stopping = threading.Event()
    stopping.set()

    assert build.wait(stopping) is None


def test_the_command_refuses_what_it_cannot_read(capsys):
    assert main([]) == 2
    assert main(["start", "node", "image"]) == 2
    assert main(["build", "node", "image"]) == 2
    assert "usage: sandbox_builds.py build KIND IMAGE" in capsys.readouterr().err


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_build_runs_behind_everything_else_for_the_cpu_and_the_disk(tmp_path, env):
    require(shutil.which("ionice") is not None, "no ionice (util-linux) to set it")
    # What the script and its children inherit: the idle CPU and I/O classes.
    script = stand_in(tmp_path, "chrt --pid $$\nionice --pid $$")
    build = SandboxBuild("node", "sandbox:test", tmp_path / "state", script)

    build.start(env)

    assert finished(build) == 0
    said = build.log_path.read_text()
    assert "scheduling policy: SCHED_IDLE" in said  # chrt
    assert said.splitlines()[-1] == "idle"  # ionice
