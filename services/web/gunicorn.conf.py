"""gunicorn settings for the portal: the hooks Prometheus's multiprocess mode needs.

Run as `gunicorn -c services/web/gunicorn.conf.py portal.wsgi:app` with
PROMETHEUS_MULTIPROC_DIR set: each worker process writes its metrics to files there and
`/metrics` sums them. The directory is created if missing. It is not emptied here: the
web-worker may share it (its counters would vanish); whoever starts the stack gives it a
fresh directory (`make run` does) or accepts that counters carry over a restart.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess

from portal.metrics.instruments import process_identity


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's counters and histograms still count; its live gauges must not.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(process_identity(worker.pid))
