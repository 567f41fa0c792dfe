"""Fixtures for the Python sandbox image's tests: the real image, started as the grader does.

The tests build nothing: `make python-sandbox-image` builds course-sandbox-python:1 (or the
image PYTHON_SANDBOX_IMAGE names). Without it, or without a Docker Engine, they skip, and
under CI=true they fail (tests.conftest.require). Each run goes through the grader's own
`grader.sandbox.run_in_sandbox`, so the container gets exactly the grader's flags, files
and job.json, and its report is read by the grader's own parser.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docker
import jsonschema
import pytest

from contract import Limits, load_schema
from grader.report import REPORT_PREFIX, HarnessReport, parse_report
from grader.sandbox import SandboxJob, SandboxRun, run_in_sandbox
from tests.conftest import require

PYTHON_SANDBOX_IMAGE = os.environ.get("PYTHON_SANDBOX_IMAGE", "course-sandbox-python:1")


@pytest.fixture(scope="session")
def python_sandbox_image(docker_client) -> str:
    """The Python sandbox image's name; `make python-sandbox-image` builds it."""
    try:
        docker_client.images.get(PYTHON_SANDBOX_IMAGE)
    except docker.errors.ImageNotFound:
        require(
            False,
            f"the Python sandbox image {PYTHON_SANDBOX_IMAGE} is missing: "
            "run `make python-sandbox-image`",
        )
    return PYTHON_SANDBOX_IMAGE


@dataclass(frozen=True)
class PythonRun:
    """One graded run: what the Engine saw, the parsed report and its raw JSON."""

    sandbox: SandboxRun
    report: HarnessReport
    raw: dict[str, Any]

    @property
    def text(self) -> str:
        return self.report.output["text"]


@pytest.fixture
def run_python(
    docker_client, python_sandbox_image, no_leftover_containers
) -> Callable[..., PythonRun]:
    """Run `main.py` (or a dict of files) in a fresh container, as the grader would."""

    def run(
        source: str | dict[str, str],
        *,
        wall_seconds: float = 5.0,
        memory_mib: int = 128,
        pids: int = 64,
        output_bytes: int = 1 << 20,
    ) -> PythonRun:
        files = {"main.py": source} if isinstance(source, str) else source
        limits = Limits(wall_seconds, memory_mib, 1.0, pids, output_bytes)
        job = SandboxJob(
            submission_id="python-sandbox-test",
            files=files,
            harness_job={
                "lab_kind": "python-test",
                "entrypoint": "main.py",
                "wall_seconds": wall_seconds,
                "output_bytes": output_bytes,
                "goal": None,
                "stop_after_goal_ms": None,
            },
            limits=limits,
        )
        sandbox = run_in_sandbox(docker_client, python_sandbox_image, job)
        assert sandbox.exit_code == 0, f"the harness failed: {sandbox.stdout[-2000:]!r}"
        assert not sandbox.outer_timeout
        report = parse_report(sandbox.stdout)
        last = sandbox.stdout.rstrip(b"\n").split(b"\n")[-1]
        raw = json.loads(last[len(REPORT_PREFIX) :])
        jsonschema.Draft202012Validator(load_schema("harness-report")).validate(raw)
        assert raw["lab_kind"] == "python-test"
        return PythonRun(sandbox, report, raw)

    return run
