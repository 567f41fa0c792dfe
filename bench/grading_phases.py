"""Where a grading's time goes: the grader's phases beside a plain `docker run`'s.

The grading benchmark (bench/grading.py) says how much slower the grader is than a plain
`docker run` of the same harness job; this says in which phase the gap lies. The grader's
side comes from RQ's timestamps (enqueued, taken by a work-horse, result enqueued) and the
GradeResult's `phases_ms` (grader.phases: monotonic laps taken while it grades). The plain
run's side comes from the Docker Engine's events for its container (create, start, die,
destroy, with nanosecond times) and the harness report's `wall_ms` (the student's run).
`record` (the portal's web-worker writing the result to the database) is not measured:
the bench stops at the results queue and runs no portal.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from grader.phases import RUN, split_run

# The breakdown's rows, in the order a grading runs them: (key, label, what it covers).
ROWS = (
    ("queue_pickup", "queue pickup", "enqueued -> a worker's horse took it (RQ)"),
    ("job_setup", "job setup", "took it -> grading began: decode, config, Docker client"),
    ("prepare", "prepare", "request checked, files prepared, limits clamped"),
    ("cpu_slot", "cpu slot", "waiting for a CPU slot (speed labs only)"),
    ("create", "container create", "docker run: the CLI started and the Engine created it"),
    ("copy", "file copy", "the job and files on stdin (docker run: a bind mount, no copy)"),
    ("start", "container start", "docker run: created -> started, attach included"),
    ("harness", "harness start/stop", "started -> exited, less the student's run"),
    ("student_run", "student run", "the report's wall_ms"),
    ("run", "run (no report)", "started -> exited, when no report split it"),
    ("logs", "report read", "the container's log read back (docker run: streamed)"),
    ("inspect", "inspect", "OOM killed? which runtime?"),
    ("remove", "container remove", "docker run: died -> destroyed (--rm)"),
    ("judge", "judge", "report parsed, checks, verdict, feedback, result built"),
    ("publish", "publish", "result built -> on the results queue"),
    ("cli_exit", "docker run exits", "destroyed -> the CLI returned"),
)
OVERHEAD_NOTE = "overhead_ratio counts the grader from job setup to publish, not queue pickup"
RECORD_NOTE = (
    "record (the portal's web-worker writing the result): not measured, this bench stops "
    "at the results queue and runs no portal"
)


def grader_phases(
    enqueued: datetime,
    taken: datetime,
    grading_started: datetime,
    published: datetime,
    phases_ms: Mapping[str, float],
) -> dict[str, float]:
    """One grading's phases in ms: RQ's timestamps around the GradeResult's own laps.

    `publish` is what is left between the grader's last lap and the result on the queue
    (the wall clock and the monotonic laps agree to well under a millisecond here).
    """
    timed = dict(phases_ms)
    after_grading = _ms(grading_started, published) - sum(timed.values())
    return {
        "queue_pickup": round(_ms(enqueued, taken), 1),
        "job_setup": round(_ms(taken, grading_started), 1),
        **timed,
        "publish": round(max(0.0, after_grading), 1),
    }


def docker_run_phases(
    invoked: float, events: Mapping[str, float], exited: float, student_wall_ms: float | None
) -> dict[str, float]:
    """One plain `docker run`'s phases in ms, from the CLI's start and end (Unix seconds)
    and its container's first event of each action (Unix seconds, from timeNano)."""
    phases = {
        "create": (events["create"] - invoked) * 1000,
        "start": (events["start"] - events["create"]) * 1000,
        RUN: (events["die"] - events["start"]) * 1000,
        "remove": (events["destroy"] - events["die"]) * 1000,
        "cli_exit": (exited - events["destroy"]) * 1000,
    }
    return {name: round(ms, 1) for name, ms in split_run(phases, student_wall_ms).items()}


def first_events(events: Iterable[Mapping]) -> dict[str, float]:
    """The first time (Unix seconds) of each action among a container's Engine events."""
    first: dict[str, float] = {}
    for event in events:
        action = event.get("Action") or event.get("status")
        if action and action not in first:
            first[action] = event["timeNano"] / 1e9
    return first


# What a busy worker does between publishing one result and taking its next job, in order:
# (key, what it covers). The sum is the batch's between_jobs_ms.
BETWEEN_JOBS = (
    ("after_publish", "published -> the job returned: its container removed, the horse's return"),
    ("worker_loop", "returned -> next execution: RQ's bookkeeping, horse exit, checks, dequeue"),
    ("fork", "next execution -> next job taken: the fork and the horse's RQ setup"),
)


@dataclass(frozen=True)
class BatchJob:
    """One job of a busy worker, as RQ and its published result recorded it (Unix seconds)."""

    worker: str  # RQ's worker_name
    forked: float  # the worker made its execution, just before forking the horse
    started: float  # the horse took it (RQ's started_at)
    published: float  # its result on the results queue
    ended: float  # the job function returned (RQ's ended_at)
    phases: dict[str, float] = field(default_factory=dict)  # grader_phases


def between_jobs_split(jobs: Iterable[BatchJob]) -> list[dict[str, float]]:
    """Each worker's gaps between consecutive jobs, split as BETWEEN_JOBS says (ms)."""
    by_worker: dict[str, list[BatchJob]] = {}
    for job in jobs:
        by_worker.setdefault(job.worker, []).append(job)
    parts = []
    for worked in by_worker.values():
        worked.sort(key=lambda job: job.started)
        for done, following in zip(worked, worked[1:], strict=False):
            parts.append(
                {
                    "after_publish": round((done.ended - done.published) * 1000, 1),
                    "worker_loop": round((following.forked - done.ended) * 1000, 1),
                    "fork": round((following.started - following.forked) * 1000, 1),
                }
            )
    return parts


def medians(samples: list[dict[str, float]]) -> dict[str, float]:
    """Each phase's median over the samples that have it, in ms."""
    names = {name for sample in samples for name in sample}
    return {
        name: round(statistics.median(s[name] for s in samples if name in s), 1) for name in names
    }


def format_breakdown(title: str, grader: Mapping[str, float], plain: Mapping[str, float]) -> str:
    """The table: one row a phase, the grader's and the plain run's median ms and share of
    their sum of medians ("-" where a side has no such phase)."""
    totals = (sum(grader.values()) or 1.0, sum(plain.values()) or 1.0)
    lines = [
        f"{title}: where the time goes (median ms, share of the sum of medians)",
        f"  {'phase':<20}{'grader':>16}{'docker run':>16}    gap ms",
    ]
    for key, label, _ in ROWS:
        if key not in grader and key not in plain:
            continue
        cells = "".join(
            _cell(side.get(key), total) for side, total in zip((grader, plain), totals, strict=True)
        )
        gap = grader.get(key, 0.0) - plain.get(key, 0.0)
        lines.append(f"  {label:<20}{cells}   {gap:+8.1f}")
    gap = totals[0] - totals[1]
    sums = "".join(f"{total:>10.1f} {1:>4.0%}" for total in totals)
    lines.append(f"  {'total':<20}{sums}   {gap:+8.1f}")
    lines.append(f"  {OVERHEAD_NOTE}")
    lines.append(f"  {RECORD_NOTE}")
    return "\n".join(lines)


def _cell(ms: float | None, total: float) -> str:
    if ms is None:
        return f"{'-':>10}      "
    return f"{ms:>10.1f} {ms / total:>4.0%}"


def _ms(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() * 1000
