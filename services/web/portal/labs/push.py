"""The verdict pushed to the lab page the moment it is recorded (server-sent events).

Polling once a second showed a 0.6 s grading about 1.7 s after Submit. Now:

- The web-worker, once it has recorded a result, publishes the submission's school and id
  (nothing else) on the Valkey channel `RESULTS_CHANNEL` (`publish_recorded`). Both ends
  are the portal's: the grader neither knows nor publishes it, so the contract is
  unchanged.
- Each web process keeps one subscriber thread (`ResultListener`, one Valkey connection
  however many pages wait), started by the first stream, which wakes the streams waiting
  for that submission.
- A page follows its submission at `/submissions/<id>/events` (`follow`): the stream says
  each new status ("running", "remeasuring", ...: read from RQ every `CHECK_SECONDS`, no
  database) and ends with the final one, at once when woken; the page then fetches the
  status document it already knew how to draw. The database is read at the start, when
  woken, and every `RELOAD_SECONDS` (a publish missed while the listener reconnected), and
  no connection is held in between.

Waiting pages must not tie up the web workers. gunicorn's sync workers would each be held
by one open stream, so the portal runs gthread workers (services/web/gunicorn.conf.py,
the one config `make run`, compose, the Swarm stack and Kubernetes all use): a waiting
stream holds one thread parked on an Event (no CPU, no database connection), and each
worker has `streams_per_worker()` threads for streams on top of its threads for pages.
A bounded semaphore keeps streams to their share, so pages always find their threads:
a stream over the share is answered 503 and that page polls, as before. No extra
process or service is needed in any deployment. An asynchronous server would hold
connections cheaper still, but would mean a second server and a second app to keep in
step with the portal's login, tenancy and headers; a parked thread costs about its
stack's touched pages, a few hundred kilobytes for 200.

A page that leaves (a closed tab, a student who moved on) frees its slot at the stream's
next check (`client_left`: a peek at the connection finds its end), within
`CHECK_SECONDS`, rather than at the next heartbeat write up to 20 s later: students who
come and go do not hold slots the next pages need.

A lost stream (network, proxy, a restarted worker, the stream's `LAST_SECONDS`) costs
nothing but speed: the page falls back to polling the status endpoint, which reads the
database, so a result recorded while disconnected is still shown.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping

import redis
from flask import Flask, current_app
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RESULTS_CHANNEL = "portal:submission-recorded"
CHECK_SECONDS = 5.0  # RQ's view of a waiting submission (queued, running, remeasuring...)
RELOAD_SECONDS = 30.0  # the database, should a publish have been missed
HEARTBEAT_SECONDS = 15.0  # a comment line: a closed tab is noticed and its thread freed
LAST_SECONDS = 600.0  # then the page polls: no stream is held forever
DEFAULT_STREAMS_PER_WORKER = 200

Key = tuple[str, str]  # (tenant id, submission id), as published


def streams_per_worker(environ: Mapping[str, str] = os.environ) -> int:
    """How many pages one web worker process may stream to at once
    (`PUSH_STREAMS_PER_WORKER`); gunicorn.conf.py gives the worker as many threads more."""
    return max(0, int(environ.get("PUSH_STREAMS_PER_WORKER", DEFAULT_STREAMS_PER_WORKER)))


def init_app(app: Flask) -> None:
    """The process's listener and stream slots; no thread or connection is started yet."""
    app.extensions["result_listener"] = ResultListener(app.config["REDIS_URL"])
    app.extensions["stream_slots"] = threading.BoundedSemaphore(
        max(1, app.config["PUSH_STREAMS_PER_WORKER"])
    )


def get_listener() -> ResultListener:
    return current_app.extensions["result_listener"]


def take_stream_slot() -> Callable[[], None] | None:
    """A stream slot of this process and the function that gives it back, or None when
    every slot is taken (the page then polls)."""
    slots: threading.BoundedSemaphore = current_app.extensions["stream_slots"]
    if not slots.acquire(blocking=False):
        return None
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            slots.release()

    return release


def client_left(environ: Mapping[str, object]) -> Callable[[], bool]:
    """Whether the page at the other end of this request has closed its connection.

    gunicorn hands the application the client's socket (`gunicorn.socket`); reading its
    end without taking any byte says the page left. A server thread otherwise learns it
    only when a write fails, at the next heartbeat. Without the socket (another server, a
    test client) this never says so, and the heartbeat still does.
    """
    connection = environ.get("gunicorn.socket")
    if not isinstance(connection, socket.socket):
        return lambda: False

    def left() -> bool:
        try:
            return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False  # open, nothing sent: still waiting
        except OSError:
            return True  # reset or closed under us

    return left


def publish_recorded(client: redis.Redis, tenant_id: str, submission_id: str) -> None:
    """Tell the web processes that this submission's result is recorded. Best effort: a
    page that misses it finds the result at its next database read or poll."""
    message = json.dumps({"tenant_id": str(tenant_id), "submission_id": str(submission_id)})
    try:
        client.publish(RESULTS_CHANNEL, message)
    except RedisError:
        log.warning("could not publish recorded submission %s", submission_id, exc_info=True)


class ResultListener:
    """One subscriber thread per process that wakes the streams waiting for a submission.

    Started lazily by the first stream, so a gunicorn worker starts its own after the
    fork. Every (re)subscription wakes every waiting stream: a result published while the
    listener was away is then read from the database.
    """

    def __init__(self, redis_url: str) -> None:
        self._url = redis_url
        self._lock = threading.Lock()
        self._waiters: dict[Key, set[threading.Event]] = {}
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stopping = threading.Event()
        self.subscribed = threading.Event()  # for tests and readiness: listening now

    @contextlib.contextmanager
    def waiting(self, key: Key) -> Iterator[threading.Event]:
        """An Event set whenever `key`'s result may have been recorded."""
        woken = threading.Event()
        with self._lock:
            self._waiters.setdefault(key, set()).add(woken)
        self._ensure_started()
        try:
            yield woken
        finally:
            with self._lock:
                events = self._waiters.get(key)
                if events is not None:
                    events.discard(woken)
                    if not events:
                        del self._waiters[key]

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def waiting_count(self) -> int:
        with self._lock:
            return sum(len(events) for events in self._waiters.values())

    def stop(self) -> None:
        """End the thread and wake every stream, which then ends (a worker shutting down
        must not wait for its open pages: they fall back to polling another worker).
        Returns at once: it may run in a signal handler."""
        self._stopping.set()
        self._wake_all()

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the thread to end after `stop`."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _ensure_started(self) -> None:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if (alive and self._pid == os.getpid()) or self._stopping.is_set():
                return
            self._pid = os.getpid()
            self.subscribed.clear()
            self._thread = threading.Thread(target=self._run, name="result-listener", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        lost = False  # one warning an outage, not one a second
        while not self._stopping.is_set():
            client = redis.Redis.from_url(
                self._url, socket_connect_timeout=2, health_check_interval=30
            )
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(RESULTS_CHANNEL)
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        lost = False
                        self._handle(message)
            except (RedisError, OSError) as error:
                if not lost:
                    log.warning("result listener lost Valkey (%s); reconnecting", error)
                lost = True
                self.subscribed.clear()
                self._wake_all()  # they read the database now, and poll RQ meanwhile
                self._stopping.wait(1.0)
            finally:
                pubsub.close()
                client.close()
        self.subscribed.clear()

    def _handle(self, message: dict) -> None:
        if message["type"] == "subscribe":
            self.subscribed.set()
            self._wake_all()
        elif message["type"] == "message":
            try:
                data = json.loads(message["data"])
                key = (str(data["tenant_id"]), str(data["submission_id"]))
            except (ValueError, KeyError, TypeError):
                log.warning("ignoring a malformed message on %s", RESULTS_CHANNEL)
                return
            with self._lock:
                events = list(self._waiters.get(key, ()))
            for event in events:
                event.set()

    def _wake_all(self) -> None:
        with self._lock:
            events = [event for waiting in self._waiters.values() for event in waiting]
        for event in events:
            event.set()


def sse(event: str, data: dict) -> str:
    """One server-sent event; `data` is JSON on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def follow(
    listener: ResultListener,
    key: Key,
    check: Callable[[bool], tuple[str, bool] | None],
    *,
    left: Callable[[], bool] = lambda: False,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """The stream of one submission's statuses: a `status` event each time it changes,
    ending after the final one.

    `check(reload)` answers (status, final), reading the database when `reload` (else only
    RQ), or None when the submission is gone. The waiter is registered before the first
    read, so a result recorded in between still wakes it. It ends quietly once `left()`
    says the page closed its connection, freeing its slot. The intervals are read from the
    module at each call (a test stretches them to see the publish alone wake a stream).
    """
    check_seconds, reload_seconds = CHECK_SECONDS, RELOAD_SECONDS
    heartbeat_seconds, last_seconds = HEARTBEAT_SECONDS, LAST_SECONDS
    with listener.waiting(key) as woken:
        started = last_write = clock()
        next_reload = started + reload_seconds
        shown: str | None = None
        reload = True
        yield "retry: 1000\n\n"
        while True:
            state = check(reload)
            if state is None:
                yield sse("gone", {})
                return
            status, final = state
            if status != shown:
                yield sse("status", {"status": status, "final": final})
                shown, last_write = status, clock()
            if final or listener.stopping or clock() - started >= last_seconds:
                return
            fired = woken.wait(check_seconds)
            if fired:
                woken.clear()  # cleared before the read: a later publish is not lost
            elif left():
                return
            now = clock()
            reload = fired or now >= next_reload
            if reload:
                next_reload = now + reload_seconds
            if now - last_write >= heartbeat_seconds:
                yield ": still waiting\n\n"
                last_write = now
