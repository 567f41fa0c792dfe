"""Async Gather, in the harness: the driver's settings, and its runs as measurements.

Loaded by the harness (labs.py), never by the student's process. See README.md for what
each measurement means.
"""

from __future__ import annotations

from typing import Any

from labs import clamp_settings
from stats import ratio, spread

VARIANTS = ("fetch_all", "reference_gather")
WARM_UP = "warm_up"  # the driver's first call, before the timed ones
WITNESS_STATES = ("refused", "unavailable", "watching")
DEFAULTS = {"urls": 20, "min_delay_ms": 50, "max_delay_ms": 300, "repeats": 3, "tick_ms": 10}
BOUNDS = {
    "urls": (2, 50),
    "min_delay_ms": (10, 1000),
    "max_delay_ms": (20, 2000),
    "repeats": (1, 7),
    "tick_ms": (2, 50),
}


def settings(check_config: dict[str, Any]) -> dict[str, Any]:
    """urls, min_delay_ms, max_delay_ms (the server's delays), repeats, tick_ms."""
    chosen = clamp_settings(check_config, DEFAULTS, BOUNDS)
    chosen["max_delay_ms"] = max(chosen["max_delay_ms"], chosen["min_delay_ms"])
    return chosen


def summarise(
    facts: dict[str, Any], runs: list[dict[str, Any]], lab_settings: dict[str, Any]
) -> dict[str, Any]:
    """The report's measurements for this lab (README.md, "Measurements")."""
    by_variant = {name: [run for run in runs if run["variant"] == name] for name in VARIANTS}
    repeats = sum(
        1
        for run in by_variant["fetch_all"]
        if any(other["repeat"] == run["repeat"] for other in by_variant["reference_gather"])
    )
    problem = facts.get("problem")
    if problem is None and repeats == 0:
        problem = "not_measured"
    slowest, total, tick = facts.get("slowest_ms"), facts.get("sum_ms"), facts.get("tick_ms")
    return {
        "urls": facts.get("urls"),
        "slowest_ms": slowest,
        "sum_ms": total,
        "tick_ms": tick,
        "repeats": repeats,
        "problem": problem,
        "problem_detail": facts.get("problem_detail"),
        "variants": {name: _variant(by_variant[name], slowest, total, tick) for name in VARIANTS},
        "warm_up": _warm_up(runs),
        "fetch_all_vs_reference": spread(
            _per_repeat(by_variant["reference_gather"], by_variant["fetch_all"]), 2
        ),
    }


def _variant(
    runs: list[dict[str, Any]], slowest: float | None, total: float | None, tick: float | None
) -> dict[str, Any]:
    errors = [run["error"] for run in runs if run.get("error")]
    return {
        "runs": len(runs),
        "correct": all(run["correct"] for run in runs) if runs else None,
        "bodies_present": all(run["bodies_present"] for run in runs) if runs else None,
        "error": errors[0] if errors else None,
        "wall_ms": spread(run["wall_ms"] for run in runs),
        "wall_over_slowest": spread((ratio(run["wall_ms"], slowest, 2) for run in runs), 2),
        "wall_over_sum": spread((ratio(run["wall_ms"], total, 2) for run in runs), 2),
        "lag_p50_ms": spread(run["lag_p50_ms"] for run in runs),
        "lag_p99_ms": spread(run["lag_p99_ms"] for run in runs),
        "lag_max_ms": spread(run["lag_max_ms"] for run in runs),
        "lag_unexplained_max_ms": spread(run.get("lag_unexplained_max_ms") for run in runs),
        "run_queue_wait_ms": spread(run.get("run_queue_wait_ms") for run in runs),
        "stall_max_ms": spread(run.get("stall_max_ms") for run in runs),
        "loop_witness": _witness(runs),
        "lag_p99_over_tick": spread((ratio(run["lag_p99_ms"], tick, 2) for run in runs), 2),
        "tick_ratio": spread((ratio(run["ticks"], run["expected_ticks"], 2) for run in runs), 2),
        "max_in_flight": spread((run["max_in_flight"] for run in runs), 0),
        "requests": spread((run["requests"] for run in runs), 0),
        "arrival_span_ms": spread(run["arrival_span_ms"] for run in runs),
    }


def _warm_up(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The driver's first call (a reference gather), as the server saw it: never
    judged, it shows what the first call in the sandbox costs."""
    warm = next((run for run in runs if run.get("variant") == WARM_UP), None)
    if warm is None:
        return None
    return {name: warm.get(name) for name in ("wall_ms", "max_in_flight", "arrival_span_ms")}


def _witness(runs: list[dict[str, Any]]) -> str | None:
    """The witness's word over the runs: `refused` in any beats `unavailable` beats
    `watching` (loop_witness.py)."""
    states = {run.get("loop_witness") for run in runs}
    return next((state for state in WITNESS_STATES if state in states), None)


def _per_repeat(numerators: list[dict[str, Any]], denominators: list[dict[str, Any]]) -> list:
    """numerator wall / denominator wall, per repetition both have."""
    top = {run["repeat"]: run["wall_ms"] for run in numerators}
    return [ratio(top.get(run["repeat"]), run["wall_ms"]) for run in denominators]
