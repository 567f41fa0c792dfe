"""The Redis connection and the RQ queues the portal talks to the graders through.

The connection pool lives on the app (one per process: redis-py re-creates it after a
fork); each app context gets its own client and queues from `get_redis()`/`get_queue()`
and gives the client back at teardown. Every queue uses RQ's JSONSerializer: the payload
crosses to processes that must not unpickle anything from us.
"""

from __future__ import annotations

import redis
from flask import Flask, current_app, g
from rq import Queue
from rq.serializers import JSONSerializer

import contract
from portal.graders import grading_queue_names


def init_app(app: Flask) -> None:
    """Create the connection pool (no connection is opened yet)."""
    # Short timeouts: a request must not hang when Redis is down, it must say so.
    app.extensions["redis_pool"] = redis.ConnectionPool.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
    )
    app.teardown_appcontext(close_redis)


def get_redis() -> redis.Redis:
    """The Redis client of the current app context."""
    if "redis" not in g:
        g.redis = redis.Redis(connection_pool=current_app.extensions["redis_pool"])
    return g.redis


def platform_queue_names() -> list[str]:
    """Every queue the platform runs on: the graders' and the results queue."""
    return sorted({*grading_queue_names(), contract.RESULTS_QUEUE})


def get_queue(name: str) -> Queue:
    """The RQ queue `name` (JSON payloads), cached for the app context."""
    queues = g.setdefault("rq_queues", {})
    if name not in queues:
        queues[name] = Queue(name, connection=get_redis(), serializer=JSONSerializer)
    return queues[name]


def close_redis(_exception: BaseException | None = None) -> None:
    """Hand the context's connection back to the pool."""
    g.pop("rq_queues", None)
    client = g.pop("redis", None)
    if client is not None:
        client.close()
