"""What the Python labs' drivers share: the problems that stop a lab before it is timed.

Both drivers import the student's `main.py` as a module and call the functions the lab
names; when that fails they report a `problem` (load_error, function_missing,
not_measured) that the first check explains. The harness adds `channel_forged` when a line
on the driver's channel was not signed by the driver (the student's code wrote to it, which
gVisor's /proc allows): nothing of the run is measured, and the run is failed.
"""

from __future__ import annotations

from typing import Any

from contract import CheckResult


def problem_check(m: dict[str, Any], check: str, functions: str) -> CheckResult | None:
    """The failed `check` a driver's problem makes, or None when the driver timed the calls."""
    problem, detail = m.get("problem"), m.get("problem_detail") or ""
    if problem is None:
        return None
    if problem == "load_error":
        return CheckResult(
            check,
            False,
            f"Importing your main.py failed: {detail or 'an error'}. The grader imports it as "
            'a module, so code under `if __name__ == "__main__":` does not run.',
        )
    if problem == "channel_forged":
        return CheckResult(
            check,
            False,
            "The grader's driver's channel carried lines the driver did not sign: your code "
            "wrote to the grader's measurements, so nothing of this run was measured.",
        )
    if problem == "function_missing":
        return CheckResult(
            check,
            False,
            f"{detail or 'A function is missing'}: define {functions} at the top level of main.py.",
        )
    return CheckResult(
        check,
        False,
        "Your functions could not be timed even once within the wall limit: are they "
        "much slower than they should be?",
    )


def plural(number: int, noun: str) -> str:
    """`1 process`, `2 processes`, `3 URLs`."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {noun}es" if noun.endswith("s") else f"{number} {noun}s"
