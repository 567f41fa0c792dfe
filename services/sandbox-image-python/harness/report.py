"""Shapes and prints the harness report, the one thing the grader reads from the container.

The last line of stdout is `HARNESS-REPORT ` and compact JSON matching
services/contract/contract/schemas/harness-report.json, the envelope the Node harness
prints. Every path out of the harness, including its own failures, goes through here, so a
report is always written.
"""

from __future__ import annotations

import json
import os
from typing import Any

HARNESS_VERSION = 1
PREFIX = b"HARNESS-REPORT "


def build_report(**fields: Any) -> dict[str, Any]:
    """A complete report; `fields` override the neutral defaults."""
    return {
        "harness_version": HARNESS_VERSION,
        "lab_kind": "unknown",
        "status": "exited",
        "exit_code": None,
        "signal": None,
        "wall_ms": 0,
        "syntax_error": None,
        "error_line": None,
        "output": {"text": "", "truncated": False, "bytes_total": 0},
        "cgroup": {"oom_kills": None, "cpu_quota_cpus": None, "memory_limit_bytes": None},
        "harness_error": None,
        "measurements": {},
        **fields,
    }


def harness_error_report(error: BaseException, **fields: Any) -> dict[str, Any]:
    """The report for a run the harness could not carry out (its fault, not the student's)."""
    message = f"{type(error).__name__}: {error}"
    return build_report(**fields, status="harness_error", harness_error=message)


def print_report(report: dict[str, Any]) -> None:
    """Write the report as the last line of stdout, straight to fd 1.

    The leading newline ends any partial line a student process left on stdout, so the report
    always starts a line of its own. JSON escapes every non-ASCII character: the line is
    ASCII, whatever the program printed.
    """
    line = b"\n" + PREFIX + json.dumps(report, separators=(",", ":")).encode("ascii") + b"\n"
    view = memoryview(line)
    while view:
        written = os.write(1, view)
        view = view[written:]
