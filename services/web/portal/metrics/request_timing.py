"""Web request latency and count per endpoint, measured by before/after request hooks.

The label is the endpoint's name (`labs.submit`), never the raw path: paths carry ids
and anything a scanner tries, which would make a new time series per request. A request
that matched no route is labelled `unmatched`.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request

from portal.metrics.instruments import HTTP_REQUEST_SECONDS, HTTP_REQUESTS

UNMATCHED = "unmatched"


def init_app(app: Flask) -> None:
    """Time every request, 500s included (Flask finalizes those through after_request)."""
    app.before_request(start_timer)
    app.after_request(observe_request)


def start_timer() -> None:
    g.metrics_request_started = time.perf_counter()


def observe_request(response: Response) -> Response:
    started = g.pop("metrics_request_started", None)
    endpoint = request.endpoint or UNMATCHED
    method = request.method
    HTTP_REQUESTS.labels(endpoint=endpoint, method=method, status=str(response.status_code)).inc()
    if started is not None:
        HTTP_REQUEST_SECONDS.labels(endpoint=endpoint, method=method).observe(
            time.perf_counter() - started
        )
    return response
