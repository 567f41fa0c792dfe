"""The RQ entry points the grader worker runs: `grader.jobs.grade` and `grader.jobs.run`.

Thin on purpose: decode at the edge, run the pipeline, publish. An `infra_error` is
raised while RQ still has retries for the job, so that a daemon hiccup is retried and
never reaches the student; the last attempt publishes it instead, so nothing hangs.
An `inconclusive` result (the host stayed too noisy to measure, even after the pipeline's
own re-runs) is retried the same way, later, when the host may be quieter; the job's meta
says so (`remeasuring`), which the portal shows while the job waits.

A job run by a grader worker's horse leaves its finished sandbox containers to the worker
(`hand_over_removals`): their ids go back in the job's return value, and the worker hands
them on to its next horse, which removes them in a thread while it grades (grader.worker).
A busy worker then takes its next job as soon as the result is published, where it used to
wait for `docker rm` first. The removal is the horse's, not the worker's: run by the worker
just after the fork, docker-py's code wrote to about 800 pages of memory the new horse
still shared, each one copied (about 5 ms of the worker's CPU a job), where the horse runs
the same code for its own Engine calls anyway. Run anywhere else (the CLI, a test's
in-process worker), the job removes its own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any

import docker
import requests
from docker.errors import DockerException, NotFound
from rq import get_current_job
from rq.job import Job

from contract import (
    INFRA_RETRY_META,
    REMEASURING_META,
    GradeRequest,
    RunRequest,
    decode,
    result_version_for,
)
from contract.logs import log_context
from grader.config import GraderConfig
from grader.engine_client import engine_client
from grader.pipeline import RunSandbox, grade_request
from grader.publish import publish_result, publish_run_result
from grader.sandbox import ContainerRemovals, InfrastructureError, run_in_sandbox
from grader.trial import run_request

log = logging.getLogger(__name__)


# In a job's return value: whether the Engine answered throughout (engine_answered), and the
# ids of the finished containers the job left to its worker (containers_left).
ENGINE_ANSWERED = "engine_answered"
CONTAINERS_LEFT = "containers_left"

# Set in a grader worker's horse only (hand_over_removals): nobody else would remove them.
_removals_handed_over = False
# The finished containers the horse's worker handed on to it (its last job's), to remove.
_inherited: tuple[str, ...] = ()


def hand_over_removals(inherited: tuple[str, ...] = ()) -> None:
    """Leave this process's finished containers to its grader worker, and remove the ones
    its worker handed on, `inherited`, while the job grades (call in the horse)."""
    global _removals_handed_over, _inherited
    _removals_handed_over = True
    _inherited = inherited


class InheritedRemovals:
    """The containers the worker handed on, removed in a thread for the block's duration
    (joined when it ends, whatever ends it); `all_removed` then says whether each one is
    gone. A failure leaves them to the worker's look for its own leftovers (the job then
    says the Engine did not answer throughout) and to the janitor."""

    def __init__(self, ids: tuple[str, ...]) -> None:
        self._ids = ids
        self._thread: threading.Thread | None = None
        self.all_removed = True

    def __enter__(self) -> InheritedRemovals:
        if self._ids:
            client = _docker_client()  # made here: the job's own calls share it
            self._thread = threading.Thread(
                target=self._remove, args=(client,), name="inherited-removals", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None:
            self._thread.join()

    def _remove(self, client: docker.DockerClient) -> None:
        try:
            for container_id in self._ids:
                with contextlib.suppress(NotFound):
                    client.api.remove_container(container_id, v=True, force=True)
        except (DockerException, requests.exceptions.RequestException) as error:
            log.warning("sandbox containers of the last job stay for the worker: %s", error)
            self.all_removed = False


class RemeasureLater(Exception):
    """The measurements stayed inconclusive: let RQ retry the job after its interval."""


def grade(payload: dict[str, Any]) -> dict[str, Any]:
    """Grade one encoded GradeRequest and publish its GradeResult."""
    request = decode(GradeRequest, payload)
    with log_context(submission_id=request.submission_id, tenant_id=request.tenant_id):
        log.info(
            "grading job picked up",
            extra={"event": "grading.started", "lab_kind": request.lab_kind},
        )
        outcome = _grade(request)
        log.info(
            "verdict %s",
            outcome["verdict"],
            extra={"event": "grading.verdict", "verdict": outcome["verdict"]},
        )
    return outcome


def _grade(request: GradeRequest) -> dict[str, Any]:
    # The sandbox containers are removed once the result is published, by the worker's next
    # horse (or the worker) or here (or when the job ends otherwise): the student's result
    # never waits for `docker rm`; those of the worker's last job go meanwhile.
    with InheritedRemovals(_inherited) as inherited, ContainerRemovals() as removals:
        outcome = _grade_and_publish(request, removals)
        left = _remove_or_hand_over(removals)
    answered = outcome["verdict"] != "infra_error" and removals.all_removed
    answered = answered and inherited.all_removed
    return outcome | {ENGINE_ANSWERED: answered, CONTAINERS_LEFT: left}


def _remove_or_hand_over(removals: ContainerRemovals) -> list[str]:
    """The ids of the containers left to the worker, after removing the rest (all of them
    when this process is no grader worker's horse)."""
    if _removals_handed_over:
        return removals.hand_over()
    removals.remove_all()
    return []


def _grade_and_publish(request: GradeRequest, removals: ContainerRemovals) -> dict[str, Any]:
    config = GraderConfig.from_env()
    runner = _sandbox_runner(config, removals)
    result = grade_request(request, runner, config.ceilings, adapter=config.loaded_adapter())
    job = get_current_job()
    if result.verdict == "infra_error" and job is not None and job.retries_left:
        log.warning("infra_error: retried later", extra={"event": "grading.retry"})
        job.meta[INFRA_RETRY_META] = True  # the page says it is graded again, for free
        job.save_meta()
        raise InfrastructureError(result.feedback)
    if result.verdict == "inconclusive" and job is not None and job.retries_left:
        log.info("inconclusive: measured again later", extra={"event": "grading.retry"})
        job.meta[REMEASURING_META] = True
        job.save_meta()
        raise RemeasureLater(result.feedback)
    if job is not None:
        # In the version the requesting portal reads: an older one gets version 1.
        publish_result(job.connection, result, result_version_for(request))
    return {"submission_id": result.submission_id, "verdict": result.verdict}


def _sandbox_runner(config: GraderConfig, removals: ContainerRemovals) -> RunSandbox:
    return functools.partial(
        run_in_sandbox,
        _docker_client(),
        config.sandbox_image,
        runtime=config.sandbox_runtime,
        cgroup_root=config.host_cgroup_dir,
        removals=removals,
    )


@functools.cache
def _docker_client() -> docker.DockerClient:
    # One client per process (a horse runs one job), made without asking the Engine: the
    # worker learnt its API version before forking (grader.engine_client).
    return engine_client()


def run(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one encoded RunRequest ("Run before you submit") and publish its RunResult.

    Never retried: a run is the student's quick look, and an `infra_error` is published at
    once (the page says to run it again) rather than kept waiting behind retries.
    """
    request = decode(RunRequest, payload)
    with log_context(run_id=request.run_id, tenant_id=request.tenant_id):
        log.info("run job picked up", extra={"event": "run.started"})
        outcome = _run(request)
        log.info("run ended: %s", outcome["outcome"], extra={"event": "run.finished"})
    return outcome


def _run(request: RunRequest) -> dict[str, Any]:
    config = GraderConfig.from_env()
    # Removed once the result is published.
    with InheritedRemovals(_inherited) as inherited, ContainerRemovals() as removals:
        runner = _sandbox_runner(config, removals)
        result = run_request(request, runner, config.ceilings, adapter=config.loaded_adapter())
        job = get_current_job()
        if job is not None:
            publish_run_result(job.connection, result, result_version_for(request))
        left = _remove_or_hand_over(removals)
    answered = result.outcome != "infra_error" and removals.all_removed and inherited.all_removed
    return {
        "run_id": result.run_id,
        "outcome": result.outcome,
        ENGINE_ANSWERED: answered,
        CONTAINERS_LEFT: left,
    }


@dataclass(frozen=True)
class JobEnding:
    """How a grade or a run that has just ended left its Docker Engine (job_ending)."""

    engine_answered: bool  # no infra_error, every container it had to remove removed
    containers_left: tuple[str, ...] = ()  # finished containers for its worker to remove


def job_ending(job: Job) -> JobEnding:
    """How `job`, a grade or a run that has just ended, left its Engine: whether it found it
    answering from start to end (it ended without an infra_error and removed the sandbox
    containers it did not leave to its worker), and which containers it left.

    Its worker then knows the Engine answered moments ago and need not ask it again before
    the next job (grader.worker). A job that raised (an infra_error retried later) has no
    return value, hence not answered; it removed its containers itself. Asks Valkey for the
    job's result.
    """
    value = job.return_value(refresh=True)
    if not isinstance(value, dict):
        return JobEnding(False)
    left = value.get(CONTAINERS_LEFT) or []
    return JobEnding(value.get(ENGINE_ANSWERED) is True, tuple(str(each) for each in left))


def engine_answered(job: Job) -> bool:
    """Whether `job` found its Docker Engine answering from start to end (job_ending)."""
    return job_ending(job).engine_answered
