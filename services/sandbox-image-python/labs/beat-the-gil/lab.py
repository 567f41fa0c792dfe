"""Beat the GIL, in the harness: the driver's settings, and its runs as measurements.

Loaded by the harness (labs.py), never by the student's process. See README.md for what
each measurement means.
"""

from __future__ import annotations

from typing import Any

from labs import clamp_settings
from stats import ratio, spread

VARIANTS = ("serial", "processes", "threads", "reference_processes")
DEFAULTS = {"workers": 0, "repeats": 3, "target_ms": 700}
BOUNDS = {"workers": (0, 8), "repeats": (1, 7), "target_ms": (100, 2000)}
# A process did work in a run when it used at least this share of the same repetition's
# serial CPU time divided by the workers (a fair share is 1/N).
BUSY_SHARE = 0.25


def settings(check_config: dict[str, Any]) -> dict[str, Any]:
    """workers (0: the CPU quota rounded up), repeats, target_ms (the serial run's CPU)."""
    return clamp_settings(check_config, DEFAULTS, BOUNDS)


def summarise(
    facts: dict[str, Any], runs: list[dict[str, Any]], lab_settings: dict[str, Any]
) -> dict[str, Any]:
    """The report's measurements for this lab (README.md, "Measurements")."""
    workers = facts.get("workers")
    serial = {run["repeat"]: run for run in runs if run["variant"] == "serial"}
    by_variant = {name: [run for run in runs if run["variant"] == name] for name in VARIANTS}
    complete = [
        repeat
        for repeat in serial
        if all(any(run["repeat"] == repeat for run in by_variant[name]) for name in VARIANTS)
    ]
    problem = facts.get("problem")
    if problem is None and not complete:
        problem = "not_measured"
    ideal = facts.get("ideal")
    speedup = _per_repeat(by_variant["serial"], by_variant["processes"])
    return {
        "workers": workers,
        "ideal": ideal,
        "cpus_visible": facts.get("cpus_visible"),
        "range_width": facts.get("width"),
        "calibration": {
            "target_ms": facts.get("target_ms"),
            "width": facts.get("calibration_width"),
            "cpu_ms": facts.get("calibration_cpu_ms"),
            "count_primes_correct": facts.get("count_primes_correct"),
        },
        "check": _check(facts.get("check")),
        "repeats": len(complete),
        "problem": problem,
        "problem_detail": facts.get("problem_detail"),
        "variants": {name: _variant(by_variant[name], serial, workers) for name in VARIANTS},
        "speedup": _with_ideal(spread(speedup, 2), ideal),
        "threads_speedup": spread(_per_repeat(by_variant["serial"], by_variant["threads"]), 2),
        "reference_speedup": _with_ideal(
            spread(_per_repeat(by_variant["serial"], by_variant["reference_processes"]), 2),
            ideal,
        ),
        "processes_vs_reference": spread(
            _per_repeat(by_variant["reference_processes"], by_variant["processes"]), 2
        ),
    }


def _check(check: dict[str, Any] | None) -> dict[str, Any] | None:
    if check is None:
        return None
    keep = ("start", "stop", "correct", "error", "wall_ms", "main_cpu_ms", "children_cpu_ms")
    return {key: check.get(key) for key in keep}


def _variant(
    runs: list[dict[str, Any]], serial: dict[int, dict[str, Any]], workers: int | None
) -> dict[str, Any]:
    busy = []
    shares = []
    for run in runs:
        base = serial.get(run["repeat"])
        per_process = run.get("per_process_cpu_ms") or []
        if base is not None and workers:
            fair = (base["main_cpu_ms"] + base["children_cpu_ms"]) / workers
            busy.append(sum(1 for ms in per_process if ms >= BUSY_SHARE * fair))
        if per_process and sum(per_process) > 0:
            shares.append(per_process[0] / sum(per_process))
    errors = [run["error"] for run in runs if run.get("error")]
    return {
        "runs": len(runs),
        "correct": all(run["correct"] for run in runs) if runs else None,
        "error": errors[0] if errors else None,
        "wall_ms": spread(run["wall_ms"] for run in runs),
        "cpu_ms": spread(run["main_cpu_ms"] + run["children_cpu_ms"] for run in runs),
        "main_cpu_ms": spread(run["main_cpu_ms"] for run in runs),
        "children_cpu_ms": spread(run["children_cpu_ms"] for run in runs),
        "children_cpu_share": spread(
            (
                ratio(run["children_cpu_ms"], run["main_cpu_ms"] + run["children_cpu_ms"])
                for run in runs
            ),
            3,
        ),
        "parallelism": spread((ratio(run["children_cpu_ms"], run["wall_ms"]) for run in runs), 2),
        "busy_processes": max(busy) if busy else None,
        "processes_seen": max((run["processes_seen"] for run in runs), default=None),
        "busiest_process_share": spread(shares, 3),
    }


def _per_repeat(numerators: list[dict[str, Any]], denominators: list[dict[str, Any]]) -> list:
    """numerator wall / denominator wall, per repetition both have."""
    top = {run["repeat"]: run["wall_ms"] for run in numerators}
    return [ratio(top.get(run["repeat"]), run["wall_ms"]) for run in denominators]


def _with_ideal(values: dict[str, float] | None, ideal: float | None) -> dict[str, Any] | None:
    if values is None:
        return None
    efficiency = ratio(values["median"], ideal, 2)
    return {**values, "ideal": ideal, "efficiency": efficiency}
