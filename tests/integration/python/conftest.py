"""Fixtures for grading Python labs in the real Python sandbox, as a queued job would be.

Each grading goes through grader.pipeline.grade_request with the Python adapter and the
real image (course-sandbox-python:1, or PYTHON_SANDBOX_IMAGE): without it, or without a
Docker Engine, the tests skip, and under CI=true they fail (tests.conftest.require).
"""

import dataclasses
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contract import SCHEMA_VERSION, GradeRequest, GradeResult, SubmittedFile
from grader.adapters.python import ADAPTER
from grader.limits import Ceilings
from grader.pipeline import grade_request
from grader.sandbox import run_in_sandbox


@pytest.fixture
def grade_solution(
    docker_client, python_sandbox_image, no_leftover_containers, sandbox_runtime
) -> Callable[..., GradeResult]:
    """Grade one solution file for a Python lab kind through the pipeline, its sandbox under
    `sandbox_runtime` (runc unless the test is parametrised with it), which the result names."""

    def grade(
        lab: str,
        path: Path,
        check_config: dict[str, Any] | None = None,
        wall_seconds: float | None = None,
    ) -> GradeResult:
        kind = ADAPTER.lab_kind(lab)
        limits = kind.default_limits
        if wall_seconds is not None:  # a shorter wall for a program that never ends
            limits = dataclasses.replace(limits, wall_seconds=wall_seconds)
        request = GradeRequest(
            schema_version=SCHEMA_VERSION,
            submission_id=f"python-{path.stem}",
            tenant_id="1",
            lab_id=lab,
            lab_kind=lab,
            files=(SubmittedFile("main.py", path.read_text()),),
            entrypoint="main.py",
            limits=limits,
            check_config=check_config or {},
            queued_at=datetime.now(UTC).isoformat(),
        )
        runner = functools.partial(
            run_in_sandbox, docker_client, python_sandbox_image, runtime=sandbox_runtime
        )
        result = grade_request(request, runner, Ceilings(), adapter=ADAPTER)
        assert result.sandbox_runtime == sandbox_runtime
        return result

    return grade
