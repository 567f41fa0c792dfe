"""Read and check the harness's report from the container's stdout.

The harness prints its report as the last line, prefixed by `HARNESS-REPORT `. Only the
last line counts, and only when the harness exited 0: student code runs in the same
container and could print a line that looks like a report, but it cannot be the last one
(the harness kills every other process before it prints) unless it killed the harness.

This module checks the envelope every language's harness writes (status, exit, output,
measurements, ...); the fields beyond it are the language's own (Node's observations and
child_process_calls), handed as `details` to the adapter's `read_details`, which checks
them just as strictly: a report is trusted whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REPORT_PREFIX = b"HARNESS-REPORT "
REPORT_CAP_BYTES = 512 * 1024
HARNESS_VERSION = 1
STATUSES = ("exited", "timeout", "output_limit", "stopped_after_goal", "harness_error")
# The runner's fields; any other field of the report is the adapter's (`details`).
ENVELOPE_FIELDS = frozenset(
    {
        "harness_version",
        "lab_kind",  # echoed from the job; the runner reads the request's
        "status",
        "exit_code",
        "signal",
        "wall_ms",
        "syntax_error",
        "error_line",
        "output",
        "cgroup",
        "harness_error",
        "measurements",
        "tasks_at_stop",
    }
)


class ReportError(ValueError):
    """The container did not produce a trustworthy report."""


@dataclass(frozen=True)
class SyntaxProblem:
    """Where and why the student's code did not parse."""

    line: int | None
    column: int | None
    message: str


@dataclass(frozen=True)
class HarnessReport:
    """The checked content of a harness report."""

    status: str
    exit_code: int | None
    signal: str | None
    wall_ms: float
    syntax_error: SyntaxProblem | None
    error_line: str | None
    output: dict[str, Any]  # {"text", "truncated", "bytes_total"}
    oom_kills: int
    harness_error: str | None
    measurements: dict[str, Any]
    details: Any = None  # the adapter's checked fields (Node: observations, child_process_calls)
    # At the wall timeout, before the kill: the most tasks alive in the sandbox at once and
    # the process limit they count against; None when not counted (an older harness, a run
    # that ended otherwise).
    tasks_at_stop: TasksAtStop | None = None


@dataclass(frozen=True)
class TasksAtStop:
    """The sandbox's tasks (processes and threads) when the harness stopped the program."""

    count: int  # the most seen at once over a few quick reads
    limit: int  # the process limit they count against (RLIMIT_NPROC, else the job's pids)

    @property
    def at_limit(self) -> bool:
        """Whether the program was holding every task the limit allows: a fork bomb."""
        return self.count >= self.limit


# The report's fields beyond the envelope -> the adapter's details, or ReportError.
ReadDetails = Callable[[Mapping[str, Any]], Any]


def parse_report(stdout: bytes, read_details: ReadDetails) -> HarnessReport:
    """Return the report in the last line of `stdout`, or raise ReportError.

    `read_details` is the adapter's: it checks the fields only its harness writes.
    """
    lines = stdout.rstrip(b"\n").split(b"\n")
    last = lines[-1] if lines else b""
    if not last.startswith(REPORT_PREFIX):
        raise ReportError("the sandbox ended without a report")
    if len(last) > REPORT_CAP_BYTES:
        raise ReportError("the report is larger than the cap")
    try:
        data = _storable(json.loads(last[len(REPORT_PREFIX) :]))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ReportError(f"the report is not JSON: {error}") from error
    return _checked(data, read_details)


def _storable(value: Any) -> Any:
    """`value` with every string made safe to store and send on.

    The harness already turns invalid UTF-8 into U+FFFD, but NUL is valid UTF-8 and a program
    prints it at will (so does its stderr, quoted as error_line): PostgreSQL refuses it in
    text and JSONB, and a result that cannot be recorded leaves its submission stuck. JSON may
    also carry a lone UTF-16 surrogate (\\ud800), which no UTF-8 encoder accepts. Both become
    U+FFFD, here, where every string from the sandbox enters the grader.
    """
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:
            return value
        text = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return text.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def _checked(data: Any, read_details: ReadDetails) -> HarnessReport:
    if not isinstance(data, dict):
        raise ReportError("the report is not an object")
    if data.get("harness_version") != HARNESS_VERSION:
        raise ReportError(f"unknown harness_version {data.get('harness_version')!r}")
    status = data.get("status")
    if status not in STATUSES:
        raise ReportError(f"unknown status {status!r}")
    output = data.get("output")
    if not (
        isinstance(output, dict)
        and isinstance(output.get("text"), str)
        and isinstance(output.get("truncated"), bool)
        and _is_count(output.get("bytes_total"))
    ):
        raise ReportError("output is malformed")
    cgroup = data.get("cgroup") if isinstance(data.get("cgroup"), dict) else {}
    measurements = data.get("measurements")
    details = {key: value for key, value in data.items() if key not in ENVELOPE_FIELDS}
    return HarnessReport(
        status=status,
        exit_code=_optional(data.get("exit_code"), int, "exit_code"),
        signal=_optional(data.get("signal"), str, "signal"),
        wall_ms=float(_optional(data.get("wall_ms"), (int, float), "wall_ms") or 0),
        syntax_error=_syntax_problem(data.get("syntax_error")),
        error_line=_optional(data.get("error_line"), str, "error_line"),
        output={key: output[key] for key in ("text", "truncated", "bytes_total")},
        oom_kills=checked_count(cgroup.get("oom_kills") or 0, "oom_kills"),
        harness_error=_optional(data.get("harness_error"), str, "harness_error"),
        measurements=measurements if isinstance(measurements, dict) else {},
        details=read_details(details),
        tasks_at_stop=_tasks_at_stop(data.get("tasks_at_stop")),
    )


def _tasks_at_stop(value: Any) -> TasksAtStop | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ReportError("tasks_at_stop is malformed")
    return TasksAtStop(
        count=checked_count(value.get("count"), "tasks_at_stop.count"),
        limit=checked_count(value.get("limit"), "tasks_at_stop.limit"),
    )


def _syntax_problem(value: Any) -> SyntaxProblem | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("message"), str):
        raise ReportError("syntax_error is malformed")
    return SyntaxProblem(
        line=_optional(value.get("line"), int, "syntax_error.line"),
        column=_optional(value.get("column"), int, "syntax_error.column"),
        message=value["message"][:500],
    )


def _optional(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ReportError(f"{name} has the wrong type")
    return value


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def checked_count(value: Any, name: str) -> int:
    """`value` when it is a non-negative integer (a count), else ReportError naming `name`."""
    if not _is_count(value):
        raise ReportError(f"{name} must be a non-negative integer")
    return value
