"""The sweep that keeps in-flight submissions from being lost or stuck.

Run periodically (`flask --app portal requeue-stale`, e.g. from cron or a k8s CronJob).
A submission still in flight after `older_than` is looked up on its queue:
- no grading job and no result waiting: the enqueue failed, Redis lost it, or it waits its
  school's turn: its school's oldest such submissions are enqueued, within the school's
  share of the queue (portal.labs.fairness), the others keep waiting;
- the job failed for good (retries used up) at least FAILURE_GRACE ago, was stopped or
  canceled: close it as not gradable, so the student is told and no attempt counts;
- older than `give_up_after` whatever the queue says: close it the same way;
- otherwise (queued, running, result on its way) leave it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.orm import Session

import contract
from portal.catalogue.catalogue import Catalogue
from portal.labs.results import mark_not_gradable
from portal.labs.service import dispatch_waiting
from portal.models import IN_FLIGHT_STATUSES, Submission, utc_now

GIVEN_UP_STATUSES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
# A grading job whose work-horse was killed fails, and a live grader requeues it within
# seconds (grader.abandoned): a failure younger than this is left to the graders.
FAILURE_GRACE = timedelta(seconds=30)


@dataclass
class SweepReport:
    """Submission ids by what the sweep did with them."""

    requeued: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)


def requeue_stale_submissions(
    session: Session,
    queue: Queue,
    catalogue: Catalogue,
    *,
    older_than: timedelta = timedelta(minutes=1),
    give_up_after: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    max_per_school: int = 0,
) -> SweepReport:
    """Re-enqueue or close the stale in-flight submissions graded through `queue`."""
    now = now or utc_now()
    results = Queue(
        contract.RESULTS_QUEUE, connection=queue.connection, serializer=queue.serializer
    )
    report = SweepReport()
    jobless: dict[int, list[int]] = {}  # by school
    stale = session.scalars(
        select(Submission)
        .where(
            Submission.status.in_(IN_FLIGHT_STATUSES),
            Submission.created_at < now - older_than,
        )
        .order_by(Submission.id)
    ).all()
    for submission in stale:
        lab = catalogue.lab(submission.course_id, submission.lab_id)
        if lab is not None and lab.queue_name != queue.name:
            continue  # another grader's submission: its own sweep handles it
        job = queue.fetch_job(contract.grade_job_id(str(submission.id)))
        status = job.get_status() if job is not None else None
        too_old = submission.created_at < now - give_up_after
        given_up = status in GIVEN_UP_STATUSES and not _failed_lately(job, now)
        if lab is None or given_up or too_old:
            mark_not_gradable(submission)
            report.closed.append(submission.id)
        elif job is None and results.fetch_job(contract.result_job_id(str(submission.id))) is None:
            jobless.setdefault(submission.tenant_id, []).append(submission.id)
        else:
            report.waiting.append(submission.id)
    session.commit()
    for tenant_id, submission_ids in jobless.items():
        dispatched = set(dispatch_waiting(session, queue, catalogue, tenant_id, max_per_school))
        for submission_id in submission_ids:
            (report.requeued if submission_id in dispatched else report.waiting).append(
                submission_id
            )
    return report


def _failed_lately(job: Job, now: datetime) -> bool:
    ended = job.ended_at
    if ended is None:
        return False
    if ended.tzinfo is None:  # RQ's older records are naive UTC
        ended = ended.replace(tzinfo=now.tzinfo)
    return now - ended < FAILURE_GRACE
