"""Fixtures for the Python sandbox image's tests: the real image, started as the grader does.

The tests build nothing: `make python-sandbox-image` builds course-sandbox-python:1 (or the
image PYTHON_SANDBOX_IMAGE names). Without it, or without a Docker Engine, they skip, and
under CI=true they fail (tests.conftest.require). Each run goes through the grader's own
`grader.sandbox.run_in_sandbox`, so the container gets exactly the grader's flags, files
and job.json, and its report is read by the grader's own parser.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from contract import Limits, load_schema
from grader.adapters.python import ADAPTER
from grader.adapters.python.details import read_details
from grader.report import REPORT_PREFIX, HarnessReport, parse_report
from grader.sandbox import SandboxJob, SandboxRun, run_in_sandbox

SOLUTIONS = Path(__file__).parent / "solutions"


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
        report = parse_report(sandbox.stdout, read_details)
        last = sandbox.stdout.rstrip(b"\n").split(b"\n")[-1]
        raw = json.loads(last[len(REPORT_PREFIX) :])
        jsonschema.Draft202012Validator(load_schema("harness-report")).validate(raw)
        assert raw["lab_kind"] == "python-test"
        return PythonRun(sandbox, report, raw)

    return run


@pytest.fixture
def run_lab(
    docker_client, python_sandbox_image, no_leftover_containers
) -> Callable[..., PythonRun]:
    """Run a solution file of solutions/ as a driven lab, with the Python adapter's /dev/shm."""

    def run(
        lab_kind: str,
        solution: str,
        *,
        check_config: dict[str, Any] | None = None,
        cpus: float = 2.0,
        wall_seconds: float = 25.0,
        memory_mib: int = 256,
        pids: int = 64,
    ) -> PythonRun:
        output_bytes = 1 << 20
        job = SandboxJob(
            submission_id="python-lab-test",
            files={"main.py": (SOLUTIONS / solution).read_text()},
            harness_job={
                "lab_kind": lab_kind,
                "entrypoint": "main.py",
                "wall_seconds": wall_seconds,
                "output_bytes": output_bytes,
                "goal": None,
                "stop_after_goal_ms": None,
                "check_config": check_config or {},
            },
            limits=Limits(wall_seconds, memory_mib, cpus, pids, output_bytes),
            ipc_mode=ADAPTER.ipc_mode,  # "private": a /dev/shm of its own (multiprocessing)
        )
        sandbox = run_in_sandbox(docker_client, python_sandbox_image, job)
        assert sandbox.exit_code == 0, f"the harness failed: {sandbox.stdout[-2000:]!r}"
        assert not sandbox.outer_timeout
        report = parse_report(sandbox.stdout, read_details)
        last = sandbox.stdout.rstrip(b"\n").split(b"\n")[-1]
        raw = json.loads(last[len(REPORT_PREFIX) :])
        jsonschema.Draft202012Validator(load_schema("harness-report")).validate(raw)
        return PythonRun(sandbox, report, raw)

    return run
