"""What the student sees of a run, as a JSON-ready document.

The lab page renders it (templates/labs/_run.html) and `static/lab-run.js` polls it about
once a second until the run is finished. The database knows queued and finished; "running"
comes from RQ (a grader has the job), and a run whose job and result are both gone is shown
as lost: the next Run closes it for good.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from rq.job import JobStatus

import contract
from portal.labs.runs import LOST, LOST_AFTER, run_is_lost
from portal.models import LabRun, RunStatus, utc_now

NOT_GRADED = "Not graded: no checks, no EXP, no attempt used."
OUTCOME_LABELS = {
    "completed": "Ran to the end",
    "error": "Your code crashed",
    "timeout": "Time limit reached",
    "memory_exceeded": "Memory limit reached",
    "process_limit_exceeded": "Process limit reached",
    "output_limit": "Too much output",
    "infra_error": "Could not run",
}
STATUS_LABELS = {
    "queued": "Queued: waiting for a grader to run your code.",
    "running": "Running your code.",
    "finished": "Finished.",
}


def run_document(run: LabRun, queue: Queue) -> dict[str, Any]:
    """The run as the student sees it; every string is plain text, never HTML."""
    status = run.status
    outcome, message = run.outcome, run.message
    final = run.is_final
    if not final:
        status, lost = _live_status(queue, run)
        if lost:
            status, outcome, message, final = RunStatus.FINISHED.value, "infra_error", LOST, True
    document: dict[str, Any] = {
        "id": str(run.id),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "final": final,
        "not_graded": NOT_GRADED,
        "created_at": run.created_at.isoformat(),
    }
    if final:
        document.update(
            outcome=outcome,
            outcome_label=OUTCOME_LABELS.get(outcome or "", outcome),
            message=message or "",
            output=run.output or {"text": "", "truncated": False, "bytes_total": 0},
            measurements=[
                {"label": str(m.get("label", "")), "text": str(m.get("text", ""))}
                for m in run.measurements or []
            ],
        )
    return document


def _live_status(queue: Queue, run: LabRun) -> tuple[str, bool]:
    """`running` while a grader has the job; lost when its job and result are both gone."""
    try:
        job = queue.fetch_job(contract.run_job_id(str(run.id)))
        if job is not None and job.get_status() == JobStatus.STARTED:
            return "running", False
    except RedisError:
        return run.status, False
    old_enough = run.created_at < utc_now() - LOST_AFTER
    return run.status, old_enough and run_is_lost(queue, run)
