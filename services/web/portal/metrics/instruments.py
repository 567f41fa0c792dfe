"""The portal's own instruments, and where their values live.

Under gunicorn (several worker processes) and beside the web-worker, each process keeps
its values in prometheus_client's multiprocess files in PROMETHEUS_MULTIPROC_DIR, and
`/metrics` sums the files of every process. Without that variable (tests, `flask run`)
the values stay in this process's memory, in `LOCAL_REGISTRY`.

prometheus_client names a process's files after its pid. The web and the web-worker may
run in separate containers that share the directory (a volume), where pids repeat; two
processes writing one file would corrupt it, so a process is named `<host>-<pid>` here.
This is chosen when the module is imported, before any value exists.
"""

from __future__ import annotations

import os
import socket

from prometheus_client import CollectorRegistry, Counter, Histogram, values

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# A file name's parts are split on "_" by the collector: the identity must not hold one.
_HOST = socket.gethostname().replace("_", "-")


def process_identity(pid: int | None = None) -> str:
    """The name of a process's metrics files: its host and pid."""
    return f"{_HOST}-{os.getpid() if pid is None else pid}"


if MULTIPROCESS_DIR:
    values.ValueClass = values.MultiProcessValue(process_identifier=process_identity)

# In multiprocess mode the files are the source and this registry is never exposed.
LOCAL_REGISTRY = CollectorRegistry()

# Web requests take milliseconds; a slow page or a stuck database takes seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Grading phases go from milliseconds (recording) to minutes (a long queue).
PHASE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)

HTTP_REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a web request, by endpoint name (never the raw path) and method.",
    ["endpoint", "method"],
    buckets=REQUEST_BUCKETS,
    registry=LOCAL_REGISTRY,
)
HTTP_REQUESTS = Counter(
    "portal_http_requests",
    "Web requests answered, by endpoint name, method and status code.",
    ["endpoint", "method", "status"],
    registry=LOCAL_REGISTRY,
)
GRADING_PHASE_SECONDS = Histogram(
    "portal_grading_phase_seconds",
    "Time each grading phase took: queued (enqueued to taken by a grader, retries "
    "included), container_start, run (container started to result ready), "
    "result_recorded (result ready to recorded by the web-worker).",
    ["phase"],
    buckets=PHASE_BUCKETS,
    registry=LOCAL_REGISTRY,
)
GRADING_VERDICTS = Counter(
    "portal_grading_verdicts",
    "Grading results recorded (once per submission), by lab and verdict.",
    ["lab", "verdict"],
    registry=LOCAL_REGISTRY,
)
