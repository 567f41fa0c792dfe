"""'Run before you submit': the student's code once, in the grading sandbox, never graded.

A run reads the code with the submissions' rules, meets a per-student rate limit (so many
runs a minute, one at a time), is committed, then goes on the lab's own grading queue, so
the same grader workers run it. It is never a submission: no attempt is used, no EXP and no
achievement follow, and the dashboards never list it. The grader's RunResult comes back
through the web-worker (`portal.jobs.record_run`) and is recorded once.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import contract
from portal.catalogue.catalogue import Lab
from portal.labs.service import JOB_TIMEOUT_MARGIN_SECONDS, read_submitted_code
from portal.models import LabRun, RunStatus, User, utc_now

log = logging.getLogger(__name__)

RATE_WINDOW = timedelta(minutes=1)
# Runs are a student's scratch work: kept a day, then pruned when the student runs again.
KEPT_FOR = timedelta(days=1)
# Between the commit and the enqueue a run has no job yet: only after this is it lost.
LOST_AFTER = timedelta(seconds=30)
GIVEN_UP_STATUSES = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
RUN_RESULT_TTL = 300
RUN_FAILURE_TTL = 3600
LOST = "This run was lost on its way (our side, not your code): run it again."
UNREACHABLE = "The run could not start: the grading queue is unreachable. Run it again shortly."


class RunThrottled(Exception):
    """Not now; the text ends with "You can run again in N seconds." (`retry_after`)."""

    def __init__(self, reason: str, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        unit = "second" if self.retry_after == 1 else "seconds"
        super().__init__(f"{reason} You can run again in {self.retry_after} {unit}.")


@dataclass(frozen=True)
class RunPolicy:
    """The limits a run meets before anything is stored."""

    runs_per_minute: int = 6
    max_in_flight: int = 1
    max_code_bytes: int = 64 * 1024
    queue_limit: int = 1000
    in_flight_retry_seconds: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RunPolicy:
        """The policy set in the app's config (RUNS_PER_MINUTE, RUNS_IN_FLIGHT_PER_USER)."""
        return cls(
            runs_per_minute=int(config.get("RUNS_PER_MINUTE", cls.runs_per_minute)),
            max_in_flight=int(config.get("RUNS_IN_FLIGHT_PER_USER", cls.max_in_flight)),
            max_code_bytes=config["MAX_CODE_BYTES"],
            queue_limit=config["GRADING_QUEUE_LIMIT"],
        )


def start_run(
    session: Session,
    queue: Queue,
    user: User,
    lab: Lab,
    code: str | bytes,
    policy: RunPolicy | None = None,
    now: datetime | None = None,
) -> LabRun:
    """Store a run of `code` for `lab` and enqueue it on the lab's queue.

    Raises SubmissionRejected for code that cannot run and RunThrottled over the limits.
    """
    policy = policy or RunPolicy()
    now = now or utc_now()
    text = read_submitted_code(code, policy.max_code_bytes)
    # Lock the user's row (PostgreSQL) so two parallel runs cannot both pass the counts.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    _close_lost_runs(session, queue, user, now)
    _check_rate(session, queue, user, policy, now)
    session.execute(
        delete(LabRun).where(LabRun.user_id == user.id, LabRun.created_at < now - KEPT_FOR)
    )
    run = LabRun(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id=lab.course_id,
        lab_id=lab.id,
        code=text,
        status=RunStatus.QUEUED.value,
        created_at=now,
    )
    session.add(run)
    session.commit()
    if not enqueue_run(queue, build_run_request(run, lab, text), lab):
        _finish(run, "infra_error", UNREACHABLE)
        session.commit()
    return run


def _check_rate(
    session: Session, queue: Queue, user: User, policy: RunPolicy, now: datetime
) -> None:
    in_flight = session.scalar(
        select(func.count())
        .select_from(LabRun)
        .where(LabRun.user_id == user.id, LabRun.status == RunStatus.QUEUED.value)
    )
    if in_flight >= policy.max_in_flight:
        session.rollback()
        raise RunThrottled("Your last run has not finished yet.", policy.in_flight_retry_seconds)
    recent = session.scalars(
        select(LabRun.created_at)
        .where(LabRun.user_id == user.id, LabRun.created_at > now - RATE_WINDOW)
        .order_by(LabRun.created_at.desc())
        .limit(policy.runs_per_minute)
    ).all()
    if len(recent) >= policy.runs_per_minute:
        session.rollback()
        # The window frees a place when the oldest of the last `runs_per_minute` leaves it.
        wait = (recent[-1] + RATE_WINDOW - now).total_seconds()
        raise RunThrottled(
            f"You have used your {policy.runs_per_minute} runs for this minute.",
            math.ceil(wait),
        )
    try:
        waiting = queue.count
    except RedisError:
        waiting = 0  # the enqueue will say so
    if waiting >= policy.queue_limit:
        session.rollback()
        raise RunThrottled("The graders are very busy right now.", 60)


def _close_lost_runs(session: Session, queue: Queue, user: User, now: datetime) -> None:
    """Finish the user's in-flight runs whose job is gone, so they hold no place."""
    in_flight = session.scalars(
        select(LabRun).where(
            LabRun.user_id == user.id,
            LabRun.status == RunStatus.QUEUED.value,
            LabRun.created_at < now - LOST_AFTER,
        )
    ).all()
    for run in in_flight:
        if run_is_lost(queue, run):
            _finish(run, "infra_error", LOST)


def run_is_lost(queue: Queue, run: LabRun) -> bool:
    """Whether neither the run's job nor its result is on its way (Redis down: not lost).

    A job still waiting or running is on its way; a finished one only while its result
    waits for the web-worker (a result that failed to record will never come).
    """
    try:
        job = queue.fetch_job(contract.run_job_id(str(run.id)))
        status = job.get_status() if job is not None else None
        if status is not None and status not in GIVEN_UP_STATUSES | {JobStatus.FINISHED}:
            return False
        try:
            result = Job.fetch(
                contract.run_result_job_id(str(run.id)),
                connection=queue.connection,
                serializer=queue.serializer,
            )
        except NoSuchJobError:
            return True
        return result.get_status() in GIVEN_UP_STATUSES
    except RedisError:
        return False


def build_run_request(run: LabRun, lab: Lab, code: str) -> contract.RunRequest:
    """The message a grader receives for `run`."""
    return contract.RunRequest(
        schema_version=contract.SCHEMA_VERSION,
        run_id=str(run.id),
        tenant_id=str(run.tenant_id),
        lab_id=lab.id,
        lab_kind=lab.kind,
        files=(contract.SubmittedFile(lab.entrypoint, code),),
        entrypoint=lab.entrypoint,
        limits=lab.limits,
        check_config=dict(lab.check_config),
        queued_at=run.created_at.isoformat(),
        result_versions=tuple(sorted(contract.RUN_RESULT_VERSIONS)),
    )


def enqueue_run(queue: Queue, request: contract.RunRequest, lab: Lab) -> bool:
    """Put the run on `queue`, at most once; False when Redis cannot be reached.

    No retries: a run that meets an infrastructure error says so, and the student runs again.
    """
    try:
        queue.enqueue(
            contract.RUN_JOB,
            contract.encode(request),
            job_id=contract.run_job_id(request.run_id),
            unique=True,
            job_timeout=math.ceil(lab.limits.wall_seconds) + JOB_TIMEOUT_MARGIN_SECONDS,
            result_ttl=RUN_RESULT_TTL,
            failure_ttl=RUN_FAILURE_TTL,
            description=f"run {request.run_id} ({lab.id})",
        )
    except DuplicateJobError:
        return True
    except RedisError:
        log.warning("could not enqueue run %s", request.run_id)
        return False
    return True


def find_run(session: Session, user: User, run_id: int) -> LabRun | None:
    """The user's own run with this id; anyone else's is as good as missing."""
    return session.scalars(
        select(LabRun).where(
            LabRun.id == run_id, LabRun.user_id == user.id, LabRun.tenant_id == user.tenant_id
        )
    ).one_or_none()


class UnknownRun(LookupError):
    """The result names a run this portal does not have (pruned, or never ours)."""


def record_run_result(session: Session, result: contract.RunResult) -> bool:
    """Store `result` on its run; False if it was recorded before. Nothing is rewarded."""
    run = None
    if result.run_id.isdigit():
        # Row lock (PostgreSQL): two workers with the same result record it one at a time.
        run = session.scalars(
            select(LabRun).where(LabRun.id == int(result.run_id)).with_for_update()
        ).one_or_none()
    if run is None:
        raise UnknownRun(result.run_id)
    if str(run.tenant_id) != result.tenant_id or run.lab_id != result.lab_id:
        raise ValueError(
            f"result for run {result.run_id} names tenant {result.tenant_id!r} "
            f"and lab {result.lab_id!r}"
        )
    if run.is_final:
        session.rollback()
        return False
    _finish(run, result.outcome, result.message)
    run.output = dataclasses.asdict(result.output)
    run.measurements = [{"name": name, **shown} for name, shown in result.measurements.items()]
    run.times = dataclasses.asdict(result.times)
    session.commit()
    return True


def _finish(run: LabRun, outcome: str, message: str) -> None:
    run.status = RunStatus.FINISHED.value
    run.outcome = outcome
    run.message = message
    run.finished_at = utc_now()
