"""Checks shared by the driven labs, whose in-container driver calls a function you export.

`unblock-the-loop` and `spawn-vs-exec` both load the student's file and call one named
function; when that fails, the driver reports a `problem` that the first check explains.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult


def export_check(
    measurements: dict[str, Any], check: str, function: str, missing_problem: str, example: str
) -> CheckResult:
    """Whether the file loaded and exports `function`, with how to fix it when not."""
    if measurements.get("problem") == missing_problem:
        return CheckResult(
            check,
            False,
            f"Your file does not export a function `{function}`: end it with "
            f"`module.exports = {{ {function} }};` (or write `{example}`).",
        )
    if measurements.get("problem") == "load_error":
        detail = measurements.get("problem_detail") or "an error"
        return CheckResult(check, False, f"Loading your file failed: {detail}.")
    return CheckResult(check, True, f"Your file exports `{function}`.")
