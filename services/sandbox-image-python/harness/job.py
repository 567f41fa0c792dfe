"""Reads and checks the job (/work/job.json, or streamed on stdin), the grader's instructions.

The grader writes the same job for every sandbox image (grader.sandbox: `harness_job`) and
has already clamped the limits to its ceilings; checking them again here means a malformed
job fails loudly as a harness_error instead of running the student's code without a limit.
A port of the Node harness's job.js. This harness knows no lab goal, so `goal` must be null:
a Python lab that asked for one would otherwise be run as if it had none.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any


class JobError(ValueError):
    """job.json is missing or malformed: the grader's fault, reported as harness_error."""


@dataclass(frozen=True)
class Job:
    """One run, as the grader described it."""

    lab_kind: str  # echoed in the report
    entrypoint: str  # normalised path inside the submission, e.g. "main.py"
    wall_seconds: float  # inner wall-time limit for the student's program
    output_bytes: int  # stop the program once it printed more than this
    check_config: dict[str, Any]  # the lab's settings from the course content (unused yet)
    # The container's limits as the grader set them ({"cpus", "memory_bytes", "pids"}), or
    # None from a grader that sends none: the truth the report gives, whatever the cgroup
    # inside shows (under runsc, nothing).
    limits: dict[str, Any] | None = None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise JobError(f"job.json: {message}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_job(path: str) -> Job:
    """Parse and check the job file at `path`."""
    try:
        with open(path, encoding="utf-8") as file:
            job = json.load(file)
    except (OSError, ValueError) as error:
        raise JobError(f"cannot read {path}: {error}") from error
    return check_job(job)


def check_job(job: Any) -> Job:
    """Check a parsed job (job.json's content, or the job the grader streamed on stdin)."""
    _require(isinstance(job, dict), "not an object")
    lab_kind = job.get("lab_kind")
    _require(isinstance(lab_kind, str) and lab_kind != "", "lab_kind missing")
    _require(isinstance(job.get("entrypoint"), str), "entrypoint missing")
    entrypoint = posixpath.normpath(job["entrypoint"])
    _require(
        entrypoint != "." and not posixpath.isabs(entrypoint) and not entrypoint.startswith(".."),
        f"entrypoint {job['entrypoint']!r} is not a path inside the submission",
    )
    wall = job.get("wall_seconds")
    _require(_is_number(wall) and 0 < wall <= 3600, "wall_seconds must be a number in (0, 3600]")
    output_bytes = job.get("output_bytes")
    _require(
        isinstance(output_bytes, int) and not isinstance(output_bytes, bool) and output_bytes > 0,
        "output_bytes must be a positive integer",
    )
    _require(job.get("goal") is None, f"this harness knows no goal {job.get('goal')!r}")
    check_config = job.get("check_config") or {}
    _require(isinstance(check_config, dict), "check_config must be an object")
    return Job(
        lab_kind, entrypoint, float(wall), output_bytes, check_config, _limits(job.get("limits"))
    )


def _limits(limits: Any) -> dict[str, Any] | None:
    if limits is None:
        return None
    _require(isinstance(limits, dict), "limits must be an object")
    cpus = limits.get("cpus")
    _require(_is_number(cpus) and cpus > 0, "limits.cpus must be a positive number")
    for name in ("memory_bytes", "pids"):
        value = limits.get(name)
        _require(
            isinstance(value, int) and not isinstance(value, bool) and value > 0,
            f"limits.{name} must be a positive integer",
        )
    return {"cpus": cpus, "memory_bytes": limits["memory_bytes"], "pids": limits["pids"]}
