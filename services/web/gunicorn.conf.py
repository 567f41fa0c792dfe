"""gunicorn settings for the portal: threaded workers, and the hooks Prometheus's
multiprocess mode needs.

Every deployment serves the portal with this file (`make run`, the web image's command
under compose and Kubernetes, the Swarm stack), so they all run the same worker class.
gthread, not sync: a lab page waiting for its verdict holds a stream open
(portal.labs.push), which would hold a sync worker whole. Each worker has `WEB_THREADS`
(4) threads for pages plus one per stream it may hold (`PUSH_STREAMS_PER_WORKER`, 200),
and the portal never lets streams take more than theirs, so 200 waiting students leave
the pages their threads. `WEB_CONCURRENCY` still sets the number of worker processes.

Run as `gunicorn -c services/web/gunicorn.conf.py portal.wsgi:app` with
PROMETHEUS_MULTIPROC_DIR set: each worker process writes its metrics to files there and
`/metrics` sums them. The directory is created if missing. It is not emptied here: the
web-worker may share it (its counters would vanish); whoever starts the stack gives it a
fresh directory (`make run` does) or accepts that counters carry over a restart.
"""

import os
import signal
from pathlib import Path

from prometheus_client import multiprocess

from portal.labs.push import streams_per_worker
from portal.metrics.instruments import process_identity

worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4")) + streams_per_worker()


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's counters and histograms still count; its live gauges must not.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(process_identity(worker.pid))


def post_worker_init(worker):
    # On SIGTERM (a stop, a reload) the open streams end at once and their pages poll
    # another worker, rather than holding this one for its whole graceful timeout.
    previous = signal.getsignal(signal.SIGTERM)

    def end_streams(signum, frame):
        listener = getattr(worker.wsgi, "extensions", {}).get("result_listener")
        if listener is not None:
            listener.stop()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, end_streams)
