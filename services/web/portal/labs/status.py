"""What the student sees of a submission, as a JSON-ready document.

The page renders it once and `static/lab-status.js` fetches it again each time the
submission's stream (portal.labs.push) says its status changed, or polls it when there is
no stream. The database knows queued and graded; "running" comes from RQ: a job a grader has
started while the row still says queued; "remeasuring" too: a job whose measurements were
inconclusive and that waits for (or runs) its later try, which the grader marks in its meta;
"retrying" as well: a job whose grader died mid-job and that a live grader put back on the
queue (grader.abandoned marks its meta), or whose sandbox could not run (infra_error, marked
by grader.jobs) and that waits for its retry, graded again without costing an attempt.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from rq.job import JobStatus

import contract
from portal.labs.fairness import live_graders
from portal.models import Submission, SubmissionStatus

# One vocabulary for a verdict wherever a student reads it: the result panel, the history
# of submissions and lab-status.js all show `verdict_text` ("Not passed yet — 75%").
VERDICT_LABELS = {
    "passed": "Passed",
    "failed": "Not passed yet",
    "error": "Your code crashed",
    "timeout": "Time limit reached",
    "memory_exceeded": "Memory limit reached",
    "process_limit_exceeded": "Process limit reached",
    "output_limit": "Too much output",
    "infra_error": "Not graded",
    "inconclusive": "Too noisy to judge",
}
STATUS_LABELS = {
    "queued": "Queued: waiting for a grader.",
    "running": "Running your code.",
    "remeasuring": (
        "Measuring again: the grading machine was too busy to time your code reliably, "
        "so it runs again shortly. This does not count as an attempt."
    ),
    "retrying": (
        "Retrying: grading stopped on our side before your code was judged, so it is "
        "being graded again. This does not count as an attempt."
    ),
    "graded": "Graded.",
}
# A live status only, never stored: the row stays in flight while the retry waits.
REMEASURING = "remeasuring"
RETRYING = "retrying"
STARTS_SHORTLY = "Your code is saved. Grading will start shortly."
# Queued while no grader takes the lab's jobs: one may be starting (a fresh `make run`
# builds its sandbox image first; an autoscaler adds graders to an empty queue).
NO_GRADER_YET = (
    "No grader is running right now (one may be starting up): your code is saved and is "
    "graded as soon as one is ready."
)


def _notice(
    submission: Submission, status: str, job_known: bool, graders_ready: bool
) -> str | None:
    if submission.is_final:
        return None
    if not job_known:
        return STARTS_SHORTLY
    return NO_GRADER_YET if status == SubmissionStatus.QUEUED and not graders_ready else None


def verdict_text(verdict: str | None, score: float | None, gradable: bool | None) -> str:
    """The verdict in the student's words, with the score when it counted: "Passed — 100%"."""
    label = VERDICT_LABELS.get(verdict or "", verdict or "")
    return f"{label} — {round((score or 0.0) * 100)}%" if gradable else label


def live_status(submission: Submission, queue: Queue) -> tuple[str, bool]:
    """The status to show and whether the grading job is known to the queue."""
    return live_status_of(submission.id, submission.status, queue)


def live_status_of(submission_id: int, stored_status: str, queue: Queue) -> tuple[str, bool]:
    """`live_status` from the submission's id and stored status alone (the lab page's
    stream asks RQ between its reads of the database)."""
    if stored_status == SubmissionStatus.GRADED:
        return stored_status, True
    try:
        job = queue.fetch_job(contract.grade_job_id(str(submission_id)))
        job_status = job.get_status() if job is not None else None
    except RedisError:
        return stored_status, False
    if job_status is None:
        return stored_status, False
    if job.meta.get(contract.REGRADING_META) or job.meta.get(contract.INFRA_RETRY_META):
        return RETRYING, True
    if job.meta.get(contract.REMEASURING_META):
        return REMEASURING, True
    if job_status == JobStatus.STARTED:
        return SubmissionStatus.RUNNING.value, True
    return stored_status, True


def graders_listening(queue: Queue) -> bool:
    """Whether a grader takes jobs from `queue` now (when Valkey cannot say: assume so)."""
    try:
        return live_graders(queue) > 0
    except RedisError:
        return True


def status_document(
    submission: Submission,
    status: str,
    job_known: bool,
    achievements: list[str],
    graders_ready: bool = True,
) -> dict[str, Any]:
    """The submission as the student sees it; every string is plain text, never HTML.
    `graders_ready`: whether a grader takes the lab's jobs (else a queued one says so)."""
    document: dict[str, Any] = {
        "id": str(submission.id),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "final": submission.is_final,
        "notice": _notice(submission, status, job_known, graders_ready),
        "created_at": submission.created_at.isoformat(),
    }
    if submission.is_final:
        document.update(
            verdict=submission.verdict,
            verdict_label=VERDICT_LABELS.get(submission.verdict or "", submission.verdict),
            verdict_text=verdict_text(submission.verdict, submission.score, submission.gradable),
            score=submission.score,
            score_percent=round((submission.score or 0.0) * 100),
            counts=bool(submission.gradable),
            feedback=submission.feedback or "",
            checks=submission.checks or [],
            output=submission.output or {"text": "", "truncated": False, "bytes_total": 0},
            achievements=achievements,
            graded_at=submission.graded_at.isoformat() if submission.graded_at else None,
        )
    return document
