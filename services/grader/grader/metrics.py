"""The grader's own Prometheus metrics: jobs graded, sandbox outcomes, container start time.

Grading runs in RQ's forked work-horse, one new process per job, so a counter kept in
process memory would die with the horse. The worker therefore keeps its metrics in
prometheus_client's multiprocess files (`use_directory`, called once before the first
fork) and its HTTP server sums those files at every scrape.

prometheus_client names each process's file after its pid, which would leave one more
file per graded job (thousands a day, all read at every scrape). A worker's horses run
one after another, never two at once, so they may share one file: the process identity
is "worker" in the worker itself and "horse" in any process it forked. The files live
in a directory of this worker's own, so two workers on one host never share a name.

The worker calls `initialize` after `use_directory`: its own file then holds every
instrument at 0, and the horses add to theirs. Outside a worker (`grader grade`, unit
tests) the metrics stay in memory, unexported.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector

# What the Engine saw of one sandbox run; an infra_error never got that far.
SANDBOX_OUTCOMES = ("exited", "oom_killed", "killed_at_timeout", "infra_error")
# Creating, filling and starting a container: ~0.3 s on an idle host, seconds when busy.
CONTAINER_START_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
JOB_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0)

_worker_pid: int | None = None


@dataclass(frozen=True)
class GraderMetrics:
    """The grader's instruments (created in the process that first observes something)."""

    jobs: Counter
    job_seconds: Histogram
    sandbox_outcomes: Counter
    container_start_seconds: Histogram


def use_directory(directory: str) -> None:
    """Keep this process's metrics, and those of every process it forks, in `directory`.

    Must run before anything is observed: instruments made earlier would stay in memory.
    """
    global _worker_pid
    if _metrics.cache_info().currsize:
        raise RuntimeError("grader metrics were created before use_directory()")
    _worker_pid = os.getpid()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identity)


def _process_identity() -> str:
    # Distinct for processes that run at the same time (the worker and its one horse).
    return "worker" if os.getpid() == _worker_pid else "horse"


def exposition_registry(directory: str | None) -> CollectorRegistry:
    """A registry that collects what every process wrote to `directory` (or nothing)."""
    registry = CollectorRegistry()
    if directory:
        MultiProcessCollector(registry, path=directory)
    return registry


@functools.cache
def _metrics() -> GraderMetrics:
    # registry=None: in multiprocess mode the files are the source, never a live registry.
    return GraderMetrics(
        jobs=Counter(
            "grader_jobs",
            "Grading jobs finished by this grader, by lab and verdict (each attempt counts).",
            ["lab", "verdict"],
            registry=None,
        ),
        job_seconds=Histogram(
            "grader_job_seconds",
            "Time from taking a grading job to its result (every sandbox run included).",
            buckets=JOB_BUCKETS,
            registry=None,
        ),
        sandbox_outcomes=Counter(
            "grader_sandbox_outcomes",
            "Sandbox runs by what the Engine saw: exited, oom_killed, killed_at_timeout "
            "(the grader's outer timeout), infra_error (create/start/inspect failed).",
            ["outcome"],
            registry=None,
        ),
        container_start_seconds=Histogram(
            "grader_container_start_seconds",
            "Time to create a sandbox container, copy the files in and start it.",
            buckets=CONTAINER_START_BUCKETS,
            registry=None,
        ),
    )


def initialize() -> None:
    """Create the instruments now, each sandbox outcome at 0, so that a scrape shows them
    before anything happened (Prometheus's increase() misses a series' first step)."""
    outcomes = _metrics().sandbox_outcomes
    for outcome in SANDBOX_OUTCOMES:
        outcomes.labels(outcome=outcome)


def count_graded(lab: str, verdict: str, started: str, finished: str) -> None:
    """One grading attempt of `lab` ended with `verdict`; its phase times are ISO 8601."""
    metrics = _metrics()
    metrics.jobs.labels(lab=lab, verdict=verdict).inc()
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    metrics.job_seconds.observe(max(0.0, seconds))


def count_sandbox_run(oom_killed: bool, killed_at_timeout: bool) -> None:
    """A sandbox container ran; the Engine saw it end this way."""
    outcome = "oom_killed" if oom_killed else "killed_at_timeout" if killed_at_timeout else "exited"
    _metrics().sandbox_outcomes.labels(outcome=outcome).inc()


def count_sandbox_failure() -> None:
    """The Engine could not create, start or inspect a sandbox container."""
    _metrics().sandbox_outcomes.labels(outcome="infra_error").inc()


def observe_container_start(seconds: float) -> None:
    """A sandbox container took `seconds` from create to started."""
    _metrics().container_start_seconds.observe(max(0.0, seconds))
