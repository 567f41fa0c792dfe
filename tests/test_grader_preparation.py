"""The graders get ready in the background: each one when its image is built, the others not
waiting for it, the janitor beside them; a stop ends the builds still running.

Real builder processes run a stand-in build script and a stand-in `docker` on PATH answers
whether an image exists (scripts/sandbox_builds.py is tested on its own beside this); the
janitor is a stand-in command too. `make run` itself, with the real ones, is
tests/test_run_platform_shutdown.py's and bench/first_run.py's.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import sandbox_builds  # noqa: E402
from grader_preparation import GraderPreparation  # noqa: E402
from sandbox_builds import SandboxBuild  # noqa: E402

from tests.test_sandbox_builds import executable  # noqa: E402

WAIT_LIMIT_SECONDS = 60  # a bound on a hang, not a speed target


@pytest.fixture
def engine(tmp_path, monkeypatch) -> Path:
    """A stand-in `docker` on PATH: `image inspect X` succeeds once images/X exists."""
    images = tmp_path / "images"
    images.mkdir()
    executable(
        tmp_path / "bin" / "docker",
        f'#!/bin/sh\n[ -e "{images}/$(echo "$3" | tr : _)" ]\n',
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    return images


def build_script(tmp_path: Path, images: Path) -> Path:
    """Builds (makes images/<image>) once a file named go-<kind> appears."""
    return executable(
        tmp_path / "build.sh",
        f'#!/bin/bash\nwhile [ ! -e "{tmp_path}/go-$1" ]; do sleep 0.05; done\n'
        f'touch "{images}/$(echo "$2" | tr : _)"\necho "built $2"\n',
    )


def ready_within_limit(preparation: GraderPreparation, expected: set[str]) -> list[str]:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    ready: list[str] = []
    while set(ready) != expected:
        assert time.monotonic() < deadline, f"ready: {ready}, expected {expected}"
        ready += preparation.ready()
        time.sleep(0.05)
    return ready


def test_each_grader_is_ready_when_its_own_image_is_built(tmp_path, engine, capsys):
    script = build_script(tmp_path, engine)
    (engine / "present_1").touch()  # this one's image is there already
    builds = {
        "grader": SandboxBuild("node", "node:1", tmp_path / "state", script),
        "python grader": SandboxBuild("python", "python:1", tmp_path / "state", script),
        "third grader": SandboxBuild("node", "present:1", tmp_path / "state", script),
    }
    janitor_ran = tmp_path / "janitor-ran"
    missing = {"grader", "python grader"}
    preparation = GraderPreparation(builds, missing, ["touch", str(janitor_ran)], dict(os.environ))
    try:
        preparation.begin()
        assert sorted(preparation.building()) == ["node:1", "python:1"]
        assert ready_within_limit(preparation, {"third grader"}) == ["third grader"]

        (tmp_path / "go-python").touch()
        assert ready_within_limit(preparation, {"python grader"}) == ["python grader"]
        assert preparation.building() == ["node:1"]

        (tmp_path / "go-node").touch()
        assert ready_within_limit(preparation, {"grader"}) == ["grader"]
        assert preparation.building() == []
    finally:
        preparation.stop()

    assert janitor_ran.exists()
    console = capsys.readouterr().out
    assert "run: building the sandbox image node:1 (its log: " in console
    assert "run: building the sandbox image python:1 (its log: " in console
    assert "run: removing sandbox containers an earlier run left behind..." in console
    built = [line for line in console.splitlines() if ": built in " in line]
    assert len(built) == 2, console


def test_a_failed_build_says_why_and_the_grader_starts_all_the_same(tmp_path, engine, capsys):
    script = executable(tmp_path / "build.sh", "#!/bin/sh\necho 'no base image' >&2\nexit 1\n")
    builds = {"grader": SandboxBuild("node", "node:1", tmp_path / "state", script)}
    preparation = GraderPreparation(builds, {"grader"}, ["true"], dict(os.environ))
    try:
        preparation.begin()
        assert ready_within_limit(preparation, {"grader"}) == ["grader"]
    finally:
        preparation.stop()

    assert ": not built (no base image) in " in capsys.readouterr().out


def test_a_build_another_run_ended_meanwhile_is_said_once_with_its_time(tmp_path, engine, capsys):
    script = build_script(tmp_path, engine)
    (tmp_path / "go-node").touch()
    build = SandboxBuild("node", "node:1", tmp_path / "state", script)
    build.start(dict(os.environ))  # as another `make run` of this clone would
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while build.exit_status() is None or build.running():  # its builder gone too
        assert time.monotonic() < deadline, "the build never ended"
        time.sleep(0.05)
    sandbox_builds._reap_builders()
    preparation = GraderPreparation({"grader": build}, {"grader"}, ["true"], dict(os.environ))
    try:
        preparation.begin()
        assert preparation.building() == []
        assert ready_within_limit(preparation, {"grader"}) == ["grader"]
    finally:
        preparation.stop()

    lines = [line for line in capsys.readouterr().out.splitlines() if "node:1" in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith("run: building the sandbox image node:1 (its log: ")
    assert ": built in " in lines[0]


def test_stopping_stops_the_builds_it_waits_for(tmp_path, engine, monkeypatch):
    monkeypatch.setattr(sandbox_builds, "START_GRACE_SECONDS", 0.5)
    script = build_script(tmp_path, engine)  # never told to go
    build = SandboxBuild("node", "node:1", tmp_path / "state", script)
    preparation = GraderPreparation({"grader": build}, {"grader"}, ["true"], dict(os.environ))
    preparation.begin()
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not build.running():
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.05)

    preparation.stop()

    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while build.running():
        assert time.monotonic() < deadline, "the build outlived the stop"
        time.sleep(0.05)
    assert build.exit_status() is None  # stopped, not finished


def test_stopping_at_once_stops_a_build_not_yet_under_way(tmp_path, engine):
    script = build_script(tmp_path, engine)  # never told to go
    build = SandboxBuild("node", "node:1", tmp_path / "state", script)
    preparation = GraderPreparation({"grader": build}, {"grader"}, ["true"], dict(os.environ))
    preparation.begin()

    preparation.stop()  # before its builder may even have taken the build's lock

    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while build.running() or sandbox_builds._BUILDERS:
        assert time.monotonic() < deadline, "the build outlived the stop"
        sandbox_builds._reap_builders()
        time.sleep(0.05)
    assert build.exit_status() is None


def test_stopping_ends_a_running_janitor_quietly(tmp_path, engine, capsys):
    started = tmp_path / "janitor-started"
    janitor = ["sh", "-c", f"touch {started}; exec sleep 600"]
    preparation = GraderPreparation({}, set(), janitor, dict(os.environ))
    preparation.begin()
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not started.exists():
        assert time.monotonic() < deadline, "the janitor never started"
        time.sleep(0.05)

    preparation.stop()  # returns once the janitor has ended

    said = capsys.readouterr().out.splitlines()
    assert said == ["run: removing sandbox containers an earlier run left behind..."]
