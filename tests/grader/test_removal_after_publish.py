"""A grading job publishes the student's result before it removes the sandbox container.

The removal (`docker rm` of the container and its volume) changes nothing in the result, so
the student does not wait for it; the container is still removed by the same job. The
queue side is a real Valkey, run through RQ as the worker runs it; the Engine is scripted.
"""

from __future__ import annotations

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

import contract
from grader import jobs

from .test_pipeline import report, request
from .test_sandbox import FakeContainer, FakeEngine


class ReportingContainer(FakeContainer):
    """A container whose harness reports a passing Thread Lab run, and whose removal notes
    whether the result was already on the results queue."""

    def logs(self, stdout, stderr):
        return report()

    def remove(self, force, v):
        self.engine.published_before_removal = bool(self.engine.results.get_job_ids())
        super().remove(force, v)


class ReportingEngine(FakeEngine):
    def create(self, image, **options):
        super().create(image, **options)
        self.created[-1] = ReportingContainer(self)
        return self.created[-1]


@pytest.mark.valkey
def test_the_result_is_published_before_the_container_is_removed(redis_url, monkeypatch):
    connection = redis.Redis.from_url(redis_url)
    engine = ReportingEngine()
    engine.results = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    monkeypatch.setattr(jobs, "_docker_client", lambda: engine)
    grading = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    grading.enqueue(
        contract.GRADE_JOB, contract.encode(request()), job_id=contract.grade_job_id("1")
    )

    SimpleWorker([grading], connection=connection, serializer=JSONSerializer).work(burst=True)

    [container] = engine.created
    assert container.removed and engine.published_before_removal
    [published] = engine.results.get_jobs()
    assert published.args[0]["verdict"] == "passed"
    assert "remove" not in published.args[0]["phases_ms"]
    connection.close()
