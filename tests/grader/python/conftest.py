"""Fixtures for the Python adapter's judges: scripted harness reports graded by the pipeline.

The reports are made up, as a Python harness prints them, and go through
grader.pipeline.grade_request with the Python adapter, as a queued job's would; no Docker.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest

from contract import SCHEMA_VERSION, GradeRequest, GradeResult, SubmittedFile
from grader.adapters.python import ADAPTER
from grader.pipeline import grade_request
from grader.sandbox import SandboxRun

SOURCE = "def parallel_count(start, stop, workers):\n    return 0\n"


def harness_report(lab: str, measurements: dict[str, Any], **changes: Any) -> bytes:
    """The container's stdout: a Python harness's report of a run that exited 0."""
    data = {
        "harness_version": 1,
        "lab_kind": lab,
        "status": "exited",
        "exit_code": 0,
        "signal": None,
        "wall_ms": 9000.0,
        "syntax_error": None,
        "error_line": None,
        "output": {"text": "", "truncated": False, "bytes_total": 0},
        "cgroup": {"oom_kills": 0, "cpu_quota_cpus": 2.0, "memory_limit_bytes": None},
        "harness_error": None,
        "measurements": measurements,
        **changes,
    }
    return b"HARNESS-REPORT " + json.dumps(data).encode() + b"\n"


@pytest.fixture
def grade_python() -> Callable[..., GradeResult]:
    """Grade scripted measurements of a Python lab through the pipeline."""

    def grade(
        lab: str,
        measurements: dict[str, Any],
        source: str = SOURCE,
        runtime: str = "runc",
        **changes: Any,
    ) -> GradeResult:
        stdout = harness_report(lab, measurements, **changes)
        request = GradeRequest(
            schema_version=SCHEMA_VERSION,
            submission_id="7",
            tenant_id="1",
            lab_id=lab,
            lab_kind=lab,
            files=(SubmittedFile("main.py", source),),
            entrypoint="main.py",
            limits=ADAPTER.lab_kind(lab).default_limits,
        )
        run = SandboxRun(0, stdout, False, False, "t", runtime)
        return grade_request(request, lambda job: run, adapter=ADAPTER)

    return grade
