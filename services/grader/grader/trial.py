"""RunRequest -> RunResult: "Run before you submit", the student's code once, ungraded.

A run takes the grading path up to the report and stops there: the same submission rules,
the same limits clamped to this grader's ceilings, the same sandbox and harness (a driven
lab runs its driver, with its quickest settings), and the same reading of the report. It
has no checks, no verdict and no score: the result says how the program ended, what it
printed and the few measurements a student reads (grader.trial_measurements).
"""

from __future__ import annotations

import contextlib
from typing import Any

from contract import RUN_RESULT_VERSION, Limits, Output, PhaseTimes, RunRequest, RunResult
from grader.adapter import Adapter, configured_adapter
from grader.cpu_slots import CpuSlots
from grader.limits import Ceilings, clamp_limits
from grader.pipeline import (
    NO_OUTPUT,
    RunSandbox,
    harness_job,
    phase_times,
    trusted_report,
    utc_now,
)
from grader.report import HarnessReport
from grader.sandbox import InfrastructureError, SandboxJob, SandboxRun
from grader.submission import SubmissionRefused, check_submission
from grader.trial_measurements import main_measurements
from grader.verdict import decide_verdict

# A run is a quick look, not a measurement to grade: a driven lab times each way once.
# Settings a lab does not have are ignored by its harness (services/sandbox-image/labs/).
QUICK_SETTINGS = {"repeats": 1}
# With no checks, the grading verdicts that mean "it ran" are outcomes of their own.
OUTCOME_OF_VERDICT = {
    "passed": "completed",
    "failed": "completed",
    "inconclusive": "completed",
    "error": "error",
    "timeout": "timeout",
    "memory_exceeded": "memory_exceeded",
    "process_limit_exceeded": "process_limit_exceeded",
    "output_limit": "output_limit",
    "infra_error": "infra_error",
}
NOT_RUN_BY_US = (
    "The sandbox could not run your code just now (our side, not your code): run it again."
)


def run_request(
    request: RunRequest,
    run_sandbox: RunSandbox,
    ceilings: Ceilings | None = None,
    cpu_slots: CpuSlots | None = None,
    adapter: Adapter | None = None,
) -> RunResult:
    """Run one request in a sandbox and return the result to publish; `adapter` is the
    language's (default: the one GRADER_ADAPTER names)."""
    started = utc_now()
    adapter = adapter or configured_adapter()
    try:
        kind = adapter.lab_kind(request.lab_kind)
        files = {file.path: file.content for file in request.files}
        check_submission(files)
    except (KeyError, SubmissionRefused) as error:
        reason = error.args[0] if error.args else str(error)
        message = f"This code cannot be run: {_sentence(str(reason))}"
        return _result(request, "error", message, NO_OUTPUT, {}, phase_times(request, started, ""))

    limits = clamp_limits(request.limits, ceilings or Ceilings(), adapter.floors)
    files, entrypoint, _facts = adapter.prepare(files, request.entrypoint)
    job = SandboxJob(
        submission_id=f"run-{request.run_id}",
        files=files,
        harness_job=harness_job(
            kind, entrypoint, limits, {**request.check_config, **QUICK_SETTINGS}
        ),
        limits=limits,
        ipc_mode=adapter.ipc_mode,
    )
    # A Run of a speed lab keeps two CPUs busy too: it waits its turn like a grading, so
    # that it does not spoil the timings of a grading beside it.
    slot = (
        (cpu_slots or CpuSlots.from_env()).hold(limits.cpus)
        if kind.times_speedup
        else contextlib.nullcontext()
    )
    try:
        with slot:
            run = run_sandbox(job)
    except InfrastructureError:
        times = phase_times(request, started, "")
        return _result(request, "infra_error", NOT_RUN_BY_US, NO_OUTPUT, {}, times)

    report = trusted_report(run, adapter)
    outcome, message = _how_it_ended(run, report, limits, adapter)
    output = Output(**report.output) if report else NO_OUTPUT
    measurements = main_measurements(kind, report) if outcome != "infra_error" else {}
    return _result(
        request,
        outcome,
        message,
        output,
        measurements,
        phase_times(request, started, run.container_started),
    )


def _how_it_ended(
    run: SandboxRun, report: HarnessReport | None, limits: Limits, adapter: Adapter
) -> tuple[str, str]:
    """The outcome and its sentence, decided like a grade with no checks to judge."""
    verdict = decide_verdict(run, report, [], limits, heap_limit=adapter.heap_limit)
    outcome = OUTCOME_OF_VERDICT[verdict.name]
    if outcome == "infra_error":
        return outcome, NOT_RUN_BY_US
    if outcome != "completed" or report is None:
        return outcome, verdict.reason
    problem = _driver_problem(report.measurements)
    if problem is not None:
        return outcome, problem
    if report.status == "stopped_after_goal":
        return outcome, adapter.sentences.kept_running_run
    return outcome, "Your program ended on its own, exit code 0."


def _driver_problem(measurements: dict[str, Any]) -> str | None:
    """Why a driven lab's driver could not measure the code, said as a run's ending."""
    problem = measurements.get("problem")
    if not isinstance(problem, str):
        return None
    detail = measurements.get("problem_detail")
    detail = detail if isinstance(detail, str) and detail else None
    if problem == "load_error":
        return f"Loading your file failed: {_sentence(detail or 'an error')}"
    if problem.endswith("_missing"):
        return "Your file does not export the function the lab calls, so nothing was measured."
    if problem == "inconclusive":
        return "Your program ran, but this machine was too busy to time it: run it again."
    if detail:
        return f"Your program ran, but the lab could not measure it: {_sentence(detail)}"
    return "Your program ran, but the lab could not measure it."


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _result(
    request: RunRequest,
    outcome: str,
    message: str,
    output: Output,
    measurements: dict[str, Any],
    times: PhaseTimes,
) -> RunResult:
    return RunResult(
        schema_version=RUN_RESULT_VERSION,
        run_id=request.run_id,
        tenant_id=request.tenant_id,
        lab_id=request.lab_id,
        outcome=outcome,
        message=message,
        output=output,
        measurements=measurements,
        times=times,
    )
