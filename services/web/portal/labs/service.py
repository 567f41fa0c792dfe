"""Submitting code to a lab: check it, throttle, store it, then hand it to a grader.

The order matters. Nothing is stored or queued for code that cannot be graded. The row
is committed before the job is enqueued, so a grader never gets a submission the
database does not know; if the enqueue then fails, the row stays `queued` and the
stale-submission sweep (`portal.labs.sweep`) enqueues it later: nothing is lost.
A school has at most a few jobs on the queue at once (`portal.labs.fairness`): a
submission past that waits in the database for its school's turn, and a school past its
backlog limit is answered 429 with the seconds to wait.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import contract
from portal.catalogue.catalogue import Catalogue, Lab
from portal.labs import fairness
from portal.models import IN_FLIGHT_STATUSES, Submission, SubmissionStatus, User, utc_now

log = logging.getLogger(__name__)

# The grader raises only for infrastructure errors (daemon down, image missing), so a
# retry is always a fair second chance that never costs the student an attempt.
GRADE_RETRY_INTERVALS = [10, 30, 60]
# The result travels on its own queue; the job's return value is not needed for long.
GRADE_RESULT_TTL = 300
GRADE_FAILURE_TTL = 24 * 3600
# Above the sandbox's own wall timeout: container start, measuring runs, report.
JOB_TIMEOUT_MARGIN_SECONDS = 120


class SubmissionRejected(Exception):
    """The code cannot be graded as given; the text is meant for the student."""


class SubmissionThrottled(Exception):
    """Not now: too much in flight. `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SubmissionPolicy:
    """The limits a submission meets before anything is stored."""

    max_code_bytes: int = 64 * 1024
    max_in_flight: int = 3
    queue_limit: int = 1000
    retry_after_seconds: int = 10
    # Jobs one school may have on the grading queue at once (0: all graders but one).
    max_per_school: int = 0
    # Submissions one school may have in flight (on the queue or waiting its turn).
    school_backlog_limit: int = 300

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SubmissionPolicy:
        """The policy set in the app's config."""
        return cls(
            max_code_bytes=config["MAX_CODE_BYTES"],
            max_in_flight=config["MAX_IN_FLIGHT_PER_USER"],
            queue_limit=config["GRADING_QUEUE_LIMIT"],
            retry_after_seconds=config["RETRY_AFTER_SECONDS"],
            max_per_school=config["GRADING_MAX_PER_SCHOOL"],
            school_backlog_limit=config["GRADING_SCHOOL_BACKLOG_LIMIT"],
        )


class Enqueued(enum.Enum):
    """What happened when a submission was handed to its grading queue."""

    NEW = "new"  # the job was created
    ALREADY = "already"  # a job for this submission exists: nothing was added
    UNAVAILABLE = "unavailable"  # Redis could not be reached; the sweep will retry
    WAITING = "waiting"  # its school has its share of the queue: it goes on as jobs end


@dataclass(frozen=True)
class SubmitOutcome:
    """The stored submission and whether grading is on its way."""

    submission: Submission
    enqueued: Enqueued


def read_submitted_code(raw: str | bytes, max_bytes: int) -> str:
    """The submission as text, or SubmissionRejected saying what is wrong with it."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SubmissionRejected("Your submission is not UTF-8 text.") from None
    else:
        text = raw
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: not encodable text
        raise SubmissionRejected("Your submission is not UTF-8 text.") from None
    if "\x00" in text:
        # Valid UTF-8, but no source file holds a NUL: say what and where, so it can be found
        # (it often comes with text pasted from a PDF or a terminal).
        before = text.partition("\x00")[0]
        line = before.count("\n") + 1
        column = len(before.rpartition("\n")[2]) + 1
        raise SubmissionRejected(
            "Your submission contains a NUL character (U+0000), which code cannot hold: "
            f"remove it from line {line}, column {column}."
        )
    if not text.strip():
        raise SubmissionRejected("Your submission is empty.")
    if size > max_bytes:
        raise SubmissionRejected(f"Your submission is larger than {max_bytes // 1024} KiB.")
    # Browsers send textarea lines with CRLF; the file the grader runs should not care.
    return text.replace("\r\n", "\n")


def submit_lab_code(
    session: Session,
    queue: Queue,
    user: User,
    lab: Lab,
    code: str | bytes,
    policy: SubmissionPolicy | None = None,
    catalogue: Catalogue | None = None,
) -> SubmitOutcome:
    """Store `code` as the user's submission to `lab`, then enqueue its grading.

    With the `catalogue`, the school's share of the queue is kept (its oldest waiting
    submissions go first); without it the submission is enqueued at once.
    """
    policy = policy or SubmissionPolicy()
    text = read_submitted_code(code, policy.max_code_bytes)
    _check_capacity(session, queue, user, policy)
    submission = Submission(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id=lab.course_id,
        lab_id=lab.id,
        code=text,
        entrypoint=lab.entrypoint,
        status=SubmissionStatus.QUEUED.value,
    )
    session.add(submission)
    session.commit()
    if catalogue is None:
        return SubmitOutcome(submission, enqueue_grading(queue, submission, lab))
    with fairness.school_turn(queue, submission.tenant_id) as turn:
        if not turn:
            return SubmitOutcome(submission, Enqueued.UNAVAILABLE)
        dispatched = _dispatch(
            session, queue, catalogue, submission.tenant_id, policy.max_per_school
        )
    if submission.id in dispatched:
        return SubmitOutcome(submission, dispatched[submission.id])
    return SubmitOutcome(submission, Enqueued.WAITING)


def dispatch_waiting(
    session: Session, queue: Queue, catalogue: Catalogue, tenant_id: int, max_per_school: int
) -> list[int]:
    """Enqueue the school's oldest waiting submissions, within its share of `queue`; their ids."""
    with fairness.school_turn(queue, tenant_id) as turn:
        if not turn:
            return []
        dispatched = _dispatch(session, queue, catalogue, tenant_id, max_per_school)
    return [i for i, outcome in dispatched.items() if outcome is not Enqueued.UNAVAILABLE]


def _dispatch(
    session: Session, queue: Queue, catalogue: Catalogue, tenant_id: int, max_per_school: int
) -> dict[int, Enqueued]:
    try:
        next_ones = fairness.next_in_line(session, queue, catalogue, tenant_id, max_per_school)
    except RedisError:
        return {}
    outcomes = {}
    for submission, lab in next_ones:
        outcomes[submission.id] = enqueue_grading(queue, submission, lab)
        if outcomes[submission.id] is Enqueued.UNAVAILABLE:
            break
    return outcomes


def _check_capacity(session: Session, queue: Queue, user: User, policy: SubmissionPolicy) -> None:
    # Lock the user's row (PostgreSQL) so two parallel submits cannot both pass the count.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    in_flight = session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.user_id == user.id, Submission.status.in_(IN_FLIGHT_STATUSES))
    )
    if in_flight >= policy.max_in_flight:
        session.rollback()
        raise SubmissionThrottled(
            f"You already have {policy.max_in_flight} submissions being graded. "
            "Wait for a result, then submit again.",
            policy.retry_after_seconds,
        )
    try:
        waiting = queue.count
    except RedisError:
        waiting = 0  # the submission will wait in the database instead
    if waiting >= policy.queue_limit:
        session.rollback()
        raise SubmissionThrottled(*_busy(policy, "The graders are very busy right now."))
    if fairness.school_backlog(session, user.tenant_id) >= policy.school_backlog_limit:
        session.rollback()
        raise SubmissionThrottled(
            *_busy(policy, "Your school has many submissions waiting for a grader.")
        )


def _busy(policy: SubmissionPolicy, reason: str) -> tuple[str, int]:
    seconds = policy.retry_after_seconds * 6
    return f"{reason} Your code was not saved: submit it again in {seconds} seconds.", seconds


def build_grade_request(submission: Submission, lab: Lab) -> contract.GradeRequest:
    """The message a grader receives for `submission`."""
    return contract.GradeRequest(
        schema_version=contract.SCHEMA_VERSION,
        submission_id=str(submission.id),
        tenant_id=str(submission.tenant_id),
        lab_id=lab.id,
        lab_kind=lab.kind,
        files=(contract.SubmittedFile(submission.entrypoint, submission.code),),
        entrypoint=submission.entrypoint,
        limits=lab.limits,
        check_config=dict(lab.check_config),
        queued_at=utc_now().isoformat(),
        result_versions=tuple(sorted(contract.GRADE_RESULT_VERSIONS)),
    )


def enqueue_grading(queue: Queue, submission: Submission, lab: Lab) -> Enqueued:
    """Put the grading job of `submission` on `queue`, at most once."""
    request = build_grade_request(submission, lab)
    try:
        queue.enqueue(
            contract.GRADE_JOB,
            contract.encode(request),
            job_id=contract.grade_job_id(request.submission_id),
            unique=True,
            job_timeout=math.ceil(lab.limits.wall_seconds) + JOB_TIMEOUT_MARGIN_SECONDS,
            result_ttl=GRADE_RESULT_TTL,
            failure_ttl=GRADE_FAILURE_TTL,
            retry=Retry(max=len(GRADE_RETRY_INTERVALS), interval=GRADE_RETRY_INTERVALS),
            description=f"grade submission {request.submission_id} ({lab.id})",
        )
    except DuplicateJobError:
        return Enqueued.ALREADY
    except RedisError:
        log.warning("could not enqueue submission %s; it stays queued", submission.id)
        return Enqueued.UNAVAILABLE
    log.info(
        "submission queued for grading",
        extra={
            "event": "submission.queued",
            "submission_id": request.submission_id,
            "tenant_id": request.tenant_id,
            "lab_id": lab.id,
            "queue": queue.name,
        },
    )
    return Enqueued.NEW


def find_submission(session: Session, user: User, submission_id: int) -> Submission | None:
    """The user's own submission with this id; someone else's is as good as missing."""
    return session.scalars(
        select(Submission).where(
            Submission.id == submission_id,
            Submission.user_id == user.id,
            Submission.tenant_id == user.tenant_id,
        )
    ).one_or_none()


def list_submissions(session: Session, user: User, lab: Lab, limit: int = 20) -> list[Submission]:
    """The user's latest submissions to `lab`, newest first."""
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.tenant_id == user.tenant_id,
                Submission.user_id == user.id,
                Submission.course_id == lab.course_id,
                Submission.lab_id == lab.id,
            )
            .order_by(Submission.id.desc())
            .limit(limit)
        )
    )
