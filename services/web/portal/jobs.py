"""Entry points the web-worker runs (RQ resolves them by dotted name).

`contract.RECORD_RESULT_JOB` names `record_result`. It runs inside an app context of its
own for each job, so every job gets a fresh database session that is closed afterwards:
inside `flask results-worker` that is the command's app, elsewhere (a plain `rq worker`)
an app created once from the environment.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, has_app_context

import contract
from portal import create_app
from portal.courses.catalogue import get_catalogue
from portal.db import get_unscoped_db
from portal.labs.results import record_grade_result

log = logging.getLogger(__name__)

_app: Flask | None = None


def _worker_app() -> Flask:
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        _app = create_app()
    return _app


def record_result(payload: dict[str, Any]) -> dict[str, Any]:
    """Record one encoded GradeResult on its submission, idempotently."""
    try:
        result = contract.decode(contract.GradeResult, payload)
    except contract.MessageError:
        log.exception("refusing a malformed GradeResult")
        raise
    with _worker_app().app_context():
        recorded = record_grade_result(get_unscoped_db(), get_catalogue(), result)
    return {"submission_id": result.submission_id, "recorded": recorded}
