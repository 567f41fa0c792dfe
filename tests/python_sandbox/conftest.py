"""Fixtures for the Python sandbox image's tests: the real image, started as the grader does.

The tests build nothing: `make python-sandbox-image` builds course-sandbox-python:1 (or the
image PYTHON_SANDBOX_IMAGE names). Without it, or without a Docker Engine, they skip, and
under CI=true they fail (tests.conftest.require). Each run goes through the grader's own
`grader.sandbox.run_in_sandbox`, so the container gets exactly the grader's flags, files
and job.json, and its report is read by the grader's own parser.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from contract import SCHEMA_VERSION, GradeRequest, GradeResult, Limits, SubmittedFile, load_schema
from grader.adapters.python import ADAPTER
from grader.adapters.python.details import read_details
from grader.limits import Ceilings
from grader.pipeline import grade_request
from grader.report import REPORT_PREFIX, HarnessReport, parse_report
from grader.sandbox import SandboxJob, SandboxRun, run_in_sandbox

SOLUTIONS = Path(__file__).parent / "solutions"


@dataclass(frozen=True)
class PythonRun:
    """One graded run: what the Engine saw, the parsed report and its raw JSON (both None
    when a run allowed to die without one did: `report_required=False`)."""

    sandbox: SandboxRun
    report: HarnessReport | None
    raw: dict[str, Any] | None

    @property
    def text(self) -> str:
        assert self.report is not None, "the sandbox ended without a report"
        return self.report.output["text"]


@pytest.fixture
def run_python(
    docker_client, python_sandbox_image, no_leftover_containers, sandbox_runtime
) -> Callable[..., PythonRun]:
    """Run `main.py` (or a dict of files) in a fresh container, as the grader would, under
    `sandbox_runtime` (runc unless the test is parametrised with both_runtimes).

    `report_required=False` is for a run that may end the whole sandbox, harness included
    (under runsc an OOM kill or a fork bomb does): a run without a report then returns with
    report and raw None, for the test to check what the Engine and the host cgroup saw.
    """

    def run(
        source: str | dict[str, str],
        *,
        wall_seconds: float = 5.0,
        memory_mib: int = 128,
        pids: int = 64,
        output_bytes: int = 1 << 20,
        report_required: bool = True,
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
        sandbox = run_in_sandbox(docker_client, python_sandbox_image, job, sandbox_runtime)
        assert sandbox.runtime == sandbox_runtime
        assert not sandbox.outer_timeout
        last = sandbox.stdout.rstrip(b"\n").split(b"\n")[-1]
        if not report_required and not last.startswith(REPORT_PREFIX):
            return PythonRun(sandbox, None, None)
        assert sandbox.exit_code == 0, f"the harness failed: {sandbox.stdout[-2000:]!r}"
        report = parse_report(sandbox.stdout, read_details)
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


# The grading process's environment holds these during a hostile run; none may reach a result.
FAKE_SECRETS = {
    "REDIS_URL": "redis://:s3cret-redis-pass@192.0.2.10:6379/0",
    "GITHUB_TOKEN": "ghp_fakeTokenThatMustNeverLeak0123456789",
    "PORTAL_DATABASE_URL": "postgresql://portal:db-s3cret@192.0.2.11/portal",
}


@pytest.fixture
def grade_hostile(
    docker_client, python_sandbox_image, no_leftover_containers, monkeypatch, sandbox_runtime
) -> Callable[..., GradeResult]:
    """Grade `source` as an Async Gather submission through the grader's whole pipeline.

    For attacks on the harness itself (killing or stopping it): the run_python fixture
    insists on a report, the pipeline decides what a run without one earns. The lab's wall
    time is clamped to `wall_seconds` by the grader's ceiling, and the grading process holds
    FAKE_SECRETS in its environment, which the result must not contain. Its sandbox runs
    under `sandbox_runtime`, which the result names.
    """
    for name, value in FAKE_SECRETS.items():
        monkeypatch.setenv(name, value)

    def grade(source: str, *, wall_seconds: float = 3.0) -> GradeResult:
        kind = ADAPTER.lab_kind("async-gather")
        request = GradeRequest(
            schema_version=SCHEMA_VERSION,
            submission_id="python-hostile",
            tenant_id="1",
            lab_id="async-gather",
            lab_kind="async-gather",
            files=(SubmittedFile("main.py", source),),
            entrypoint="main.py",
            limits=kind.default_limits,
            check_config={},
            queued_at=datetime.now(UTC).isoformat(),
        )
        runner = functools.partial(
            run_in_sandbox, docker_client, python_sandbox_image, runtime=sandbox_runtime
        )
        ceilings = Ceilings(wall_seconds=wall_seconds)
        result = grade_request(request, runner, ceilings, adapter=ADAPTER)
        assert result.sandbox_runtime == sandbox_runtime
        shown = json.dumps(asdict(result))
        leaked = [name for name, value in FAKE_SECRETS.items() if value in shown]
        assert not leaked, f"secrets of the grading process reached the result: {leaked}"
        return result

    return grade
