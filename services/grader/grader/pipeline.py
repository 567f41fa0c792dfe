"""GradeRequest -> GradeResult: the one path every submission takes.

The worker and the `grader grade` CLI both call `grade_request`, so what an operator
sees on the command line is exactly what a student gets through the queue. The sandbox
runner is passed in, which lets unit tests script an Engine's answers. Everything that
depends on the language (source facts, file names, lab kinds, the report's details, a few
sentences) comes from the adapter (grader.adapter), by default the configured one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contract import (
    GRADE_RESULT_VERSION,
    AchievementEvent,
    CheckResult,
    GradeRequest,
    GradeResult,
    Limits,
    Output,
    PhaseTimes,
    RunRequest,
)
from grader import metrics, phases
from grader.adapter import Adapter, Sentences, configured_adapter
from grader.cpu_slots import CpuSlots
from grader.feedback import compose_feedback
from grader.lab_kind import RUNTIME_SETTING, Analysis, LabKind
from grader.limits import Ceilings, clamp_limits
from grader.report import HarnessReport, ReportError, parse_report
from grader.sandbox import InfrastructureError, SandboxJob, SandboxRun
from grader.submission import SubmissionRefused, check_submission
from grader.verdict import Verdict, decide_verdict, score_of

RunSandbox = Callable[[SandboxJob], SandboxRun]
# A run whose measurements were noisier than their effect is run again at once, this many
# times, before the result says `inconclusive` (and the job asks the queue for a later try).
REMEASURE_RUNS = 2
NO_OUTPUT = Output(text="", truncated=False, bytes_total=0)


def grade_request(
    request: GradeRequest,
    run_sandbox: RunSandbox,
    ceilings: Ceilings | None = None,
    cpu_slots: CpuSlots | None = None,
    adapter: Adapter | None = None,
) -> GradeResult:
    """Grade one request in a sandbox and return the result to publish.

    A lab that times a speedup runs while holding one of the host's CPU slots (`cpu_slots`,
    by default from the environment), so graders sharing the host do not spoil each
    other's timings. `adapter` is the language's (default: the one GRADER_ADAPTER names).
    """
    started = utc_now()
    clock = phases.PhaseClock()
    adapter = adapter or configured_adapter()
    try:
        kind = adapter.lab_kind(request.lab_kind)
        files = {file.path: file.content for file in request.files}
        check_submission(files)
    except (KeyError, SubmissionRefused) as error:
        reason = error.args[0] if error.args else str(error)
        verdict = Verdict("error", f"This submission cannot be graded: {reason}", gradable=False)
        times = phase_times(request, started, "")
        return _timed(_result(request, verdict, [], NO_OUTPUT, {}, times), clock)

    limits = clamp_limits(request.limits, ceilings or Ceilings(), adapter.floors)
    source = files[request.entrypoint]
    files, entrypoint, facts = adapter.prepare(files, request.entrypoint)
    job = SandboxJob(
        submission_id=request.submission_id,
        files=files,
        harness_job=harness_job(kind, entrypoint, limits, request.check_config),
        limits=limits,
        ipc_mode=adapter.ipc_mode,
    )
    measured_runs = 0
    clock.lap(phases.PREPARE)
    slot = (
        (cpu_slots or CpuSlots.from_env()).hold(limits.cpus)
        if kind.times_speedup
        else contextlib.nullcontext()
    )
    with slot:
        clock.lap(phases.CPU_SLOT)
        while True:
            measured_runs += 1
            try:
                run = run_sandbox(job)
            except InfrastructureError as error:
                verdict = Verdict(
                    "infra_error",
                    f"The sandbox could not run ({error}); this attempt does not count.",
                    gradable=False,
                )
                clock.lap(phases.FAILED_RUN)
                times = phase_times(request, started, "")
                return _timed(_result(request, verdict, [], NO_OUTPUT, {}, times), clock)

            clock.skip()  # the sandbox timed its own steps
            report = trusted_report(run, adapter)
            clock.add(phases.split_run(run.phases_ms, report.wall_ms if report else None))
            checks = _checks(
                kind, facts, report, request, adapter.sentences, run.outer_timeout, run.runtime
            )
            # Bonus checks raise a passing score (partial marks) but never decide the verdict.
            verdict = decide_verdict(
                run, report, checks, limits, kind.required(checks), adapter.heap_limit
            )
            if verdict.name != "inconclusive" or measured_runs > REMEASURE_RUNS:
                break
            clock.lap(phases.JUDGE)  # this run's, before the next
    if verdict.name == "process_limit_exceeded":
        # "Start here" names the limit the program hit, not the clock or a crash.
        checks = [
            dataclasses.replace(check, message=verdict.reason)
            if check.name == "exits_cleanly"
            else check
            for check in checks
        ]
    output = Output(**report.output) if report else NO_OUTPUT
    measurements = {"wall_ms": report.wall_ms, **report.measurements} if report else {}
    # Read on the host for every runtime, and there even when the sandbox left no report.
    measurements["host_usage"] = run.usage.as_measurements()
    if report is not None and report.tasks_at_stop is not None:
        measurements["tasks_at_stop"] = dataclasses.asdict(report.tasks_at_stop)
    if verdict.name == "inconclusive":
        measurements["measured_runs"] = measured_runs
    times = phase_times(request, started, run.container_started)
    result = _result(
        request, verdict, checks, output, measurements, times, kind, source, run.runtime
    )
    return _timed(result, clock)


def _timed(result: GradeResult, clock: phases.PhaseClock) -> GradeResult:
    """`result` with its phases' laps, the time since the last lap counted as judging."""
    clock.lap(phases.JUDGE)
    return dataclasses.replace(result, phases_ms=clock.laps())


def _checks(
    kind: LabKind,
    facts: object,
    report: HarnessReport | None,
    request: GradeRequest,
    sentences: Sentences,
    outer_timeout: bool = False,
    runtime: str = "runc",
) -> list[CheckResult]:
    config = {**request.check_config, RUNTIME_SETTING: runtime or "runc"}
    if report is not None and report.syntax_error is not None:
        problem = report.syntax_error
        where = f"Line {problem.line}: " if problem.line else ""
        parses = CheckResult("parses", False, f"{where}{problem.message}")
        skipped = [
            CheckResult(check.name, False, "Not checked: fix the syntax error first.")
            for check in kind.judge(facts, None, config)
        ]
        return [parses, *skipped]
    parses = CheckResult("parses", True, "Your code parses.")
    checks = [parses, *kind.judge(facts, report, config)]
    return [*checks, _clean_exit_check(report, sentences, outer_timeout)]


# Why a program stopped at the time limit did not end, and where to look: "Start here" quotes
# it before any of the lab's checks (grader.feedback.FIX_FIRST).
NEVER_ENDED = (
    "Your program was stopped at the time limit before it ended: look for a loop "
    "that never ends, or for work that waits for something that never comes."
)


def _clean_exit_check(
    report: HarnessReport | None, sentences: Sentences, outer_timeout: bool = False
) -> CheckResult:
    if report is None and outer_timeout:
        # The harness itself was held past the time limit (the verdict is `timeout`).
        return CheckResult("exits_cleanly", False, NEVER_ENDED)
    if report is None:
        return CheckResult("exits_cleanly", False, "Your program did not finish normally.")
    if report.status == "stopped_after_goal":
        return CheckResult("exits_cleanly", True, sentences.kept_running)
    if report.status == "exited" and report.exit_code == 0 and not report.signal:
        return CheckResult("exits_cleanly", True, "Your program ended on its own, exit code 0.")
    if report.status == "exited":
        detail = report.error_line or f"exit code {report.exit_code}"
        return CheckResult("exits_cleanly", False, f"Your program crashed: {detail}.")
    if report.status == "timeout":
        return CheckResult("exits_cleanly", False, NEVER_ENDED)
    return CheckResult("exits_cleanly", False, "Your program was stopped before it ended.")


def trusted_report(run: SandboxRun, adapter: Adapter) -> HarnessReport | None:
    """The harness's report, or None when the run gives no reason to trust one (the harness
    did not exit 0, the outer timeout fired, or the last line is not a valid report: its
    envelope or the adapter's details malformed)."""
    if run.outer_timeout or run.exit_code != 0:
        return None
    try:
        return parse_report(run.stdout, adapter.read_details)
    except ReportError:
        return None


def _result(
    request: GradeRequest,
    verdict: Verdict,
    checks: list[CheckResult],
    output: Output,
    measurements: dict,
    times: PhaseTimes,
    kind: LabKind | None = None,
    source: str = "",
    sandbox_runtime: str = "",
) -> GradeResult:
    """The result to publish, in the newest version: jobs.py writes the version the portal reads."""
    score = kind.score(verdict, checks) if kind else score_of(verdict, checks)
    insights = kind.explain(verdict.name, measurements, checks) if kind else []
    measurements = {**measurements, "judged": kind.judgements(checks)} if kind else measurements
    # What the portal shows comes from the lab kind that knows it, with the check outcomes.
    analysis = kind.analyse(verdict.name, checks, measurements, source) if kind else Analysis()
    achievements = (
        (AchievementEvent("lab_passed", request.lab_id),) if verdict.name == "passed" else ()
    )
    metrics.count_graded(request.lab_id, verdict.name, times.started, times.finished)
    return GradeResult(
        schema_version=GRADE_RESULT_VERSION,
        submission_id=request.submission_id,
        tenant_id=request.tenant_id,
        lab_id=request.lab_id,
        verdict=verdict.name,
        score=score,
        gradable=verdict.gradable,
        checks=tuple(checks),
        feedback=compose_feedback(verdict, checks, insights, score),
        output=output,
        measurements=measurements,
        achievements=achievements,
        times=times,
        grader_host=grader_host(),
        sandbox_runtime=sandbox_runtime,
        findings=analysis.findings,
        diagnoses=analysis.diagnoses,
        charts=analysis.charts,
    )


def grader_host() -> str:
    """The host a result names: GRADER_HOST (a Swarm stack sets its node's name) or ours.

    In a container the host name is the container's, so orchestrators pass the node's.
    """
    return os.environ.get("GRADER_HOST") or socket.gethostname()


def phase_times(
    request: GradeRequest | RunRequest, started: str, container_started: str
) -> PhaseTimes:
    """The request's phase timestamps, finished now (a grading's and a Run's alike)."""
    return PhaseTimes(request.queued_at, started, container_started, utc_now())


def utc_now() -> str:
    """Now, as the ISO 8601 UTC text the messages carry."""
    return datetime.now(UTC).isoformat()


def harness_job(
    kind: LabKind, entrypoint: str, limits: Limits, check_config: dict[str, Any]
) -> dict[str, Any]:
    """The job file the sandbox's harness reads: what to run, for how long, under which
    limits, and the lab's settings. A Run (trial.py) gets the same with its quick settings,
    and bench/grading.py hands the very same file to its plain `docker run`s."""
    return {
        "lab_kind": kind.name,
        "entrypoint": entrypoint,
        "wall_seconds": limits.wall_seconds,
        "output_bytes": limits.output_bytes,
        # The limits the container runs under, so that the harness need not read them from
        # a cgroup it may not see (under runsc /sys/fs/cgroup is empty).
        "limits": {
            "cpus": limits.cpus,
            "memory_bytes": limits.memory_mib * 1024 * 1024,
            "pids": limits.pids,
            "wall_seconds": limits.wall_seconds,
        },
        "goal": kind.goal,
        "stop_after_goal_ms": kind.stop_after_goal_ms,
        "check_config": check_config,
    }
