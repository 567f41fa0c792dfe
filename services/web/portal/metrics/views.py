"""`GET /metrics`: the Prometheus text format, for Prometheus only.

With METRICS_TOKEN set, the request must carry `Authorization: Bearer <token>`; without
it, only a request from this machine's loopback address is served (behind a reverse proxy
on the same machine, set TRUSTED_PROXY_COUNT so its clients are not taken for loopback).
Anyone else gets the same 404 as a page that does not exist.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from portal.metrics.instruments import LOCAL_REGISTRY, MULTIPROCESS_DIR
from portal.metrics.queues import QueueCollector
from portal.queue import get_redis, platform_queue_names
from portal.tenancy import without_school

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@without_school  # no school, login or database: a scrape works while the database is down
def metrics() -> Response:
    if not may_read_metrics(current_app.config.get("METRICS_TOKEN", "")):
        abort(404)
    registry = CollectorRegistry()
    if MULTIPROCESS_DIR:
        MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
    else:
        registry.register(LOCAL_REGISTRY)  # a registry collects like any collector
    registry.register(QueueCollector(get_redis(), platform_queue_names()))
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def may_read_metrics(token: str) -> bool:
    """Whether this request may read the metrics (see the module's docstring)."""
    if token:
        given = request.headers.get("Authorization", "").encode()
        return hmac.compare_digest(given, f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
