"""Prometheus metrics of the portal: requests, gradings recorded, and the queues.

`init_app` times every request; `views.bp` serves `GET /metrics`. What is measured where:
`request_timing` (per endpoint, in the web processes), `grading` (verdicts and phase
latencies, in the web-worker when a result is recorded), `queues` (read from Valkey at
scrape time). `instruments` says where the values live under gunicorn.
"""

from __future__ import annotations

from flask import Flask

from portal.metrics import request_timing


def init_app(app: Flask) -> None:
    """Measure every request."""
    request_timing.init_app(app)
