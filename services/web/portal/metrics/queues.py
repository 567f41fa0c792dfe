"""The queues as Prometheus sees them, read from Valkey's RQ registries at scrape time.

The web app knows every queue (the graders' queues from GRADER_QUEUES, the results queue
from the contract), so it reports them all; nothing is counted in advance, so a scrape always
shows the queue server as it is. When the server cannot be reached, only
`portal_queue_server_up 0` is reported, and the scrape itself still succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import redis
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from rq import Queue
from rq.serializers import JSONSerializer
from rq.worker_registration import get_keys

import contract


class QueueCollector(Collector):
    """Depth, running and failed jobs, the oldest waiting job's age and the workers."""

    def __init__(self, connection: redis.Redis, queue_names: list[str]) -> None:
        self.connection = connection
        self.queue_names = queue_names  # portal.queue.platform_queue_names()

    def collect(self) -> Iterator[Metric]:
        families = {
            "jobs": GaugeMetricFamily(
                "portal_queue_jobs", "Jobs waiting in the queue.", labels=["queue"]
            ),
            "running": GaugeMetricFamily(
                "portal_queue_running_jobs", "Jobs a worker is running now.", labels=["queue"]
            ),
            "scheduled": GaugeMetricFamily(
                "portal_queue_scheduled_jobs",
                "Jobs waiting for a retry (an infrastructure error, or measuring again).",
                labels=["queue"],
            ),
            "failed": GaugeMetricFamily(
                "portal_queue_failed_jobs",
                "Jobs in the failed registry (requeue or delete them on /platform/grading).",
                labels=["queue"],
            ),
            "oldest": GaugeMetricFamily(
                "portal_queue_oldest_job_age_seconds",
                "How long the job at the head of the queue has waited (0 when none waits).",
                labels=["queue"],
            ),
            "held": GaugeMetricFamily(
                "portal_queue_held_submissions",
                "Submissions held back in the database for their school's turn on the queue "
                "(fairness): with the jobs waiting and running, the graders wanted.",
                labels=["queue"],
            ),
            "workers": GaugeMetricFamily(
                "portal_queue_workers",
                "Live workers (their heartbeat key exists) listening on the queue.",
                labels=["queue"],
            ),
        }
        up = GaugeMetricFamily("portal_queue_server_up", "1 if Valkey answered this scrape.")
        try:
            rows = [(name, self._read(name)) for name in self.queue_names]
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        for name, row in rows:
            for key, value in row.items():
                families[key].add_metric([name], value)
        up.add_metric([], 1)
        yield from families.values()
        yield up

    def _read(self, name: str) -> dict[str, float]:
        queue = Queue(name, connection=self.connection, serializer=JSONSerializer)
        return {
            "jobs": queue.count,
            "running": queue.started_job_registry.count,
            "scheduled": queue.scheduled_job_registry.count,
            "failed": queue.failed_job_registry.count,
            "oldest": self._oldest_age_seconds(queue),
            "held": sum(int(n) for n in self.connection.hvals(contract.waiting_key(name))),
            "workers": self._live_workers(queue),
        }

    def _oldest_age_seconds(self, queue: Queue) -> float:
        head = queue.get_job_ids(0, 1)
        job = queue.fetch_job(head[0]) if head else None
        if job is None or job.enqueued_at is None:
            return 0.0
        enqueued_at = job.enqueued_at
        if enqueued_at.tzinfo is None:
            enqueued_at = enqueued_at.replace(tzinfo=UTC)
        return max(0.0, (datetime.now(UTC) - enqueued_at).total_seconds())

    def _live_workers(self, queue: Queue) -> int:
        # A killed worker's key stays in the queue's set until RQ cleans it up; its own
        # key expires with its heartbeat, so only workers whose key exists are counted.
        keys = sorted(get_keys(queue=queue))
        if not keys:
            return 0
        return int(self.connection.exists(*keys))
