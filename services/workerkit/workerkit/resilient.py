"""Keep an RQ worker working across a Valkey restart.

RQ's worker retries its dequeue when Valkey is gone, but not the rest of its loop: a
heartbeat, a job's status or a suspended worker's check that meets a closed connection ends
`work()` ("found an unhandled exception, quitting"), and the process with it. Both the
grader and the portal's results worker run their worker through `work_through_outages`,
which starts `work()` again, with backoff, until the worker was asked to stop.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0


def work_through_outages(worker: Worker, *, burst: bool = False, **work_options: Any) -> bool:
    """`worker.work(burst, **work_options)` again after each loss of Valkey; whether it
    worked any job. Returns when the worker was asked to stop (SIGTERM, SIGINT) or, with
    `burst`, when the queue is empty."""
    backoff = FIRST_BACKOFF_SECONDS
    worked = False
    while True:
        try:
            worked = worker.work(burst=burst, **work_options) or worked
        except RedisError as error:
            # Raised from its teardown (the death it registers), after the loop gave up.
            log.warning("worker %s lost Valkey: %s", worker.name, error)
        if _asked_to_stop(worker) or (burst and _reachable(worker)):
            return worked
        log.warning(
            "worker %s stopped without being asked to: working again in %.0f s",
            worker.name,
            backoff,
            extra={"event": "worker.restarted"},
        )
        time.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        _forget_registration(worker)


def wait_for_valkey(connection: Redis) -> None:
    """Return once `connection` answers; meanwhile say so and try again with backoff.

    RQ's Worker talks to Valkey as it is built: a worker started while Valkey restarts
    (a supervisor restarting both, compose starting them together) waits for it instead.
    """
    backoff = FIRST_BACKOFF_SECONDS
    while True:
        try:
            connection.ping()
            return
        except RedisError as error:
            log.warning("Valkey unreachable (%s): trying again in %.0f s", error, backoff)
        time.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def _asked_to_stop(worker: Worker) -> bool:
    # RQ's own record of its SIGTERM/SIGINT handler having run (a warm shutdown was asked).
    return getattr(worker, "_shutdown_requested_date", None) is not None


def _forget_registration(worker: Worker) -> None:
    """Mark the worker's last registration dead, or its next start refuses its own name,
    and give back its scheduler's lock (a scheduler that died with Valkey kept it), or the
    next start's scheduler waits for the lock to expire."""
    try:
        worker.register_death()
        if worker.scheduler is not None:
            worker.scheduler.release_locks()
    except RedisError:
        pass  # still unreachable: the next start fails the same way and comes back here


def _reachable(worker: Worker) -> bool:
    try:
        return bool(worker.connection.ping())
    except RedisError:
        return False
