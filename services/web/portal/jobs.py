"""Entry points the web-worker runs (RQ resolves them by dotted name).

`contract.RECORD_RESULT_JOB` names `record_result`; `contract.RECORD_RUN_JOB` names
`record_run` (an ungraded "Run": stored for the student to read, never rewarded). A
recorded result frees a place of its school on the grading queue, so the school's next
waiting submission is enqueued then (portal.labs.fairness). Each
job runs inside an app context of its own, so it gets a fresh database session that is
closed afterwards: inside `flask results-worker` that is the command's app, elsewhere (a
plain `rq worker`) an app created once from the environment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from rq import get_current_job

import contract
from contract.logs import configure_logging, log_context
from portal import create_app
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_unscoped_db
from portal.graders import grading_queue_names
from portal.labs.push import publish_recorded
from portal.labs.results import ResultMismatch, UnknownSubmission, record_grade_result
from portal.labs.runs import UnknownRun, record_run_result
from portal.labs.service import dispatch_waiting
from portal.metrics.grading import observe_recorded_result
from portal.queue import get_queue, get_redis

log = logging.getLogger(__name__)

_app: Flask | None = None


def _worker_app() -> Flask:
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        _app = create_app()
        configure_logging(_app.config["LOG_FORMAT"], service="web-worker")
    return _app


def record_result(payload: dict[str, Any]) -> dict[str, Any]:
    """Record one encoded GradeResult on its submission, idempotently."""
    try:
        result = contract.decode(contract.GradeResult, payload)
    except contract.MessageError:
        log.exception("refusing a malformed GradeResult")
        _no_retry()
        raise
    with (
        log_context(submission_id=result.submission_id, tenant_id=result.tenant_id),
        _worker_app().app_context(),
    ):
        try:
            recorded = record_grade_result(get_unscoped_db(), get_catalogue(), result)
        except (UnknownSubmission, ResultMismatch):
            _no_retry()
            raise
        log.info(
            "result recorded" if recorded else "result recorded before; ignored",
            extra={
                "event": "result.recorded",
                "verdict": result.verdict,
                "recorded": recorded,
                "grader_host": result.grader_host,
            },
        )
        # The lab page waiting for it shows it now (portal.labs.push); also after a
        # duplicate: a page that missed the first publish learns it from this one.
        publish_recorded(get_redis(), result.tenant_id, result.submission_id)
        _dispatch_school(int(result.tenant_id))
    if recorded:  # a duplicate changes nothing, so it counts nothing
        observe_recorded_result(result, recorded_at=datetime.now(UTC))
    return {"submission_id": result.submission_id, "recorded": recorded}


def _no_retry() -> None:
    """Fail this record job for good: a malformed or foreign result fails the same way on
    every try. Record jobs are retried (grader.publish) for a database that is away."""
    job = get_current_job()  # the very Job object the worker judges retries by
    if job is not None:
        job.retries_left = 0


def _dispatch_school(tenant_id: int) -> None:
    # Whether or not this result was new: a place may be free, the school's next goes on.
    session, catalogue = get_unscoped_db(), get_catalogue()
    cap = current_app.config["GRADING_MAX_PER_SCHOOL"]
    for queue_name in grading_queue_names():
        dispatch_waiting(session, get_queue(queue_name), catalogue, tenant_id, cap)


def record_run(payload: dict[str, Any]) -> dict[str, Any]:
    """Record one encoded RunResult on its run, idempotently; nothing is rewarded."""
    try:
        result = contract.decode(contract.RunResult, payload)
    except contract.MessageError:
        log.exception("refusing a malformed RunResult")
        _no_retry()
        raise
    with _worker_app().app_context():
        try:
            recorded = record_run_result(get_unscoped_db(), result)
        except UnknownRun:
            # Pruned after a day, or its school deleted: nobody is waiting for it.
            log.info("result for unknown run %s ignored", result.run_id)
            recorded = False
    return {"run_id": result.run_id, "recorded": recorded}
