"""Fairness between schools: each school has at most a few grading jobs on the queue.

The choice, and why. A school may have at most `max_per_school` grading jobs on its grading
queue at once (queued, running, or waiting for an RQ retry); its other submissions wait in
the database, `queued` with no job, and are put on the queue oldest first as its jobs end:
when the results worker records a result (`portal.jobs`), when a student of that school
submits, and in the stale sweep (`portal.labs.sweep`), which goes through the same cap.

- Per-school RQ queues served round-robin were the other option. They spread a burst
  fairly but do not bound another school's wait: with every grader busy on school A, school
  B's job still waits for a running job to end, up to a whole grading (twice its idle
  wait). Keeping each school below the number of graders leaves a grader free for the
  next school, so its wait stays what it is on an idle queue.
- Hence the default cap (`GRADING_MAX_PER_SCHOOL = 0`, "auto"): all the graders listening
  on the queue but one, at least one. With one grader a burst shares it in turns, which
  is already fair; with none listening nothing is held back (there is nothing to share,
  and the jobs wait in RQ as before). A fixed number overrides it; a single-school install
  that wants every grader for itself sets a large one.
- It keeps RQ's single queue: graders, the abandoned-job requeue (`grader.abandoned`, which
  puts a job back at the front: still counted as on the queue), autoscalers and KEDA keep
  reading one queue, and the graders know nothing of schools. The portal knows no grader
  insides either: only RQ's job statuses and its registry of workers.
- It decides from no state of its own: the database says which submissions are in
  flight, RQ says which of them have a live job. A lost Valkey or a failed enqueue leaves
  a submission without a job, which the next dispatch (or the sweep) puts on the queue,
  within the cap.
- Exactly once is untouched: a job id per submission (`unique=True`), and the recording
  of a submission's first result only. A lock per school and queue keeps two processes
  from dispatching past the cap at the same moment.

What the cap costs: a school alone uses all but one grader. And its waiting submissions
are in the database, not on RQ's queue, so a queue-length autoscaler would not see them:
each dispatch writes its school's number waiting into `contract.waiting_key(queue)` (a hash,
kept WAITING_KEY_SECONDS after its last write), which `grader autoscale` adds to the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import LockError, RedisError
from rq import Queue, Worker
from rq.job import Job, JobStatus
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import contract
from portal.catalogue.catalogue import Catalogue, Lab
from portal.models import IN_FLIGHT_STATUSES, Submission

# A job in one of these holds one of its school's places on the queue.
ON_QUEUE_STATUSES = {
    JobStatus.QUEUED.value,
    JobStatus.STARTED.value,
    JobStatus.DEFERRED.value,
    JobStatus.SCHEDULED.value,
}
# Long enough for one dispatch (a few Redis calls and one SELECT), short enough that a
# dispatcher that died holding it delays its school by seconds only.
LOCK_SECONDS = 10
# The waiting counts outlive their last dispatch by this much, then vanish: a school whose
# waiting submissions were closed by the sweep does not ask for graders forever.
WAITING_KEY_SECONDS = 600


def school_cap(queue: Queue, configured: int) -> int | None:
    """How many jobs one school may have on `queue`; None: no cap (no grader listening)."""
    if configured > 0:
        return configured
    try:
        graders = live_graders(queue)
    except RedisError:
        return 1
    if graders == 0:
        return None
    return max(1, graders - 1)


def live_graders(queue: Queue) -> int:
    """How many graders take jobs from `queue` now (raises RedisError)."""
    # RQ's registry of a queue's workers keeps a killed worker until its maintenance runs
    # (up to ten minutes); the worker's own key expires with its TTL, so count those alive.
    keys = Worker.all_keys(connection=queue.connection, queue=queue)
    pipe = queue.connection.pipeline(transaction=False)
    for key in keys:
        pipe.exists(key)
    return sum(pipe.execute()) if keys else 0


def job_statuses(connection: Redis, submission_ids: Iterable[int]) -> dict[int, str | None]:
    """The status of each submission's grading job (None: it has no job), in one round trip."""
    ids = list(submission_ids)
    if not ids:
        return {}
    pipe = connection.pipeline(transaction=False)
    for submission_id in ids:
        pipe.hget(Job.key_for(contract.grade_job_id(str(submission_id))), "status")
    statuses = pipe.execute()
    return {
        submission_id: None if status is None else status.decode()
        for submission_id, status in zip(ids, statuses, strict=True)
    }


@contextmanager
def school_turn(queue: Queue, tenant_id: int) -> Iterator[bool]:
    """Hold the school's dispatch lock on `queue`; yields False when it could not be had.

    Two processes (a submit and the results worker) must not both see a free place and
    both fill it. A lock held elsewhere for more than a few seconds, or Valkey away, yields
    False: the submissions wait for the next dispatch or the sweep.
    """
    lock = queue.connection.lock(
        f"grading:dispatch:{queue.name}:{tenant_id}", timeout=LOCK_SECONDS, blocking_timeout=5
    )
    try:
        held = bool(lock.acquire())
    except RedisError:
        held = False
    try:
        yield held
    finally:
        if held:
            try:
                lock.release()
            except (RedisError, LockError):
                pass  # it expires by itself


def next_in_line(
    session: Session, queue: Queue, catalogue: Catalogue, tenant_id: int, configured_cap: int
) -> list[tuple[Submission, Lab]]:
    """The school's oldest submissions without a job, as many as it has free places on `queue`.

    Call it inside `school_turn`, and enqueue what it returns before leaving the turn.
    """
    cap = school_cap(queue, configured_cap)
    in_flight = _in_flight(session, catalogue, queue, tenant_id)
    statuses = job_statuses(queue.connection, in_flight)
    live = [i for i, status in statuses.items() if status in ON_QUEUE_STATUSES]
    # A job that ended (its result on the way) or failed (the graders' requeue or the
    # sweep decide) holds no place and is not enqueued again: only a missing job waits.
    waiting = [i for i, status in statuses.items() if status is None]
    places = len(waiting) if cap is None else cap - len(live)
    chosen = waiting[: max(0, places)]
    _publish_waiting(queue, tenant_id, len(waiting) - len(chosen))
    return [(session.get(Submission, i), in_flight[i]) for i in chosen]


def _publish_waiting(queue: Queue, tenant_id: int, count: int) -> None:
    key = contract.waiting_key(queue.name)
    pipe = queue.connection.pipeline(transaction=False)
    if count:
        pipe.hset(key, str(tenant_id), count)
    else:
        pipe.hdel(key, str(tenant_id))
    pipe.expire(key, WAITING_KEY_SECONDS)
    pipe.execute()


def _in_flight(
    session: Session, catalogue: Catalogue, queue: Queue, tenant_id: int
) -> dict[int, Lab]:
    rows = session.execute(
        select(Submission.id, Submission.course_id, Submission.lab_id)
        .where(Submission.tenant_id == tenant_id, Submission.status.in_(IN_FLIGHT_STATUSES))
        .order_by(Submission.id)
    ).all()
    in_flight = {}
    for submission_id, course_id, lab_id in rows:
        lab = catalogue.lab(course_id, lab_id)
        if lab is not None and lab.queue_name == queue.name:
            in_flight[submission_id] = lab
    return in_flight


def waiting_submissions(session: Session, queue: Queue, tenant_id: int | None = None) -> int:
    """How many in-flight submissions have no job on the queue (waiting their school's turn)."""
    query = select(Submission.id).where(Submission.status.in_(IN_FLIGHT_STATUSES))
    if tenant_id is not None:
        query = query.where(Submission.tenant_id == tenant_id)
    statuses = job_statuses(queue.connection, session.scalars(query))
    return sum(1 for status in statuses.values() if status is None)


def school_backlog(session: Session, tenant_id: int) -> int:
    """How many of the school's submissions are in flight (on the queue or waiting)."""
    return session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.tenant_id == tenant_id, Submission.status.in_(IN_FLIGHT_STATUSES))
    )
