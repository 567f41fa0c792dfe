"""`make run` builds a missing sandbox image once its first page answers, and says so.

The real script with the real build (scripts/build-sandbox-image.sh, on the offline base
`make test` has made, Docker's layer cache on: seconds): the Python sandbox image under a
tag of this test's own, missing at the start, the Node one present. The console must show
the URL before the build starts, then the build ending, then the Python grader starting.
"""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import docker
import pytest

from tests.test_run_platform_shutdown import (
    SHUTDOWN_LIMIT_SECONDS,
    start_platform,
    stop_platform,
    wait_for_graders,
    wait_for_page,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def missing_image(docker_client, python_sandbox_image):
    """A tag of this test's own for the Python sandbox image, removed afterwards with its
    build's files in var/images/ (the shared image's layers stay: only the tag goes)."""
    tag = f"course-sandbox-python:run-test-{uuid.uuid4().hex[:8]}"
    yield tag
    try:
        docker_client.images.remove(tag)
    except docker.errors.ImageNotFound:
        pass
    for state in (ROOT / "var" / "images").glob(tag.replace(":", "_") + ".*"):
        state.unlink()


def test_a_missing_image_is_built_after_the_first_page_and_its_grader_started(
    sandbox_image, missing_image, tmp_path
):
    platform, port = start_platform(tmp_path, sandbox_image, missing_image)
    try:
        wait_for_page(f"http://127.0.0.1:{port}/", platform)
        wait_for_graders(platform)
        os.killpg(platform.pid, signal.SIGINT)
        output, _ = platform.communicate(timeout=SHUTDOWN_LIMIT_SECONDS)
    finally:
        stop_platform(platform)
        platform.stdout.close()

    assert platform.returncode == 0, output
    lines = output.splitlines()

    def numbers(prefix: str) -> list[int]:
        found = [number for number, line in enumerate(lines) if line.startswith(prefix)]
        assert found, f"no line starts with {prefix!r}:\n{output}"
        return found

    url = numbers("The platform runs at http://localhost:")[0]
    about_the_build = numbers(f"run: building the sandbox image {missing_image} (its log: ")
    built = [number for number in about_the_build if ": built in " in lines[number]]
    started = numbers(f"run: started the python grader ({missing_image})")[0]
    assert url < about_the_build[0], output  # not a step on the way to the first page
    assert len(built) == 1 and built[0] < started, output
    assert not any(f"building the sandbox image {sandbox_image}" in line for line in lines)
