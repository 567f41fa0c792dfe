"""A grader answers each portal in the GradeResult version that portal reads.

During a rolling deploy a newer grader may take a request from an older portal, which
sends no `result_versions` and refuses a version-2 result: it must get version 1, without
the fields it does not know. A newer portal gets version 2, findings, diagnoses and charts
included. The queue side runs on a real Valkey, through RQ, as the worker runs it.
"""

from __future__ import annotations

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer

import contract
from grader import jobs
from grader.pipeline import grade_request
from grader.publish import publish_result
from grader.sandbox import SandboxRun

from .test_measured_labs import BLOCKING, report
from .test_pipeline import request

V2_FIELDS = {"findings", "diagnoses", "charts"}


def unblock_request(result_versions):
    """An Unblock the Loop request from a portal that reads `result_versions` (None: older,
    it sends none)."""
    wire = contract.encode(request(lab_kind="unblock-the-loop"))
    if result_versions is None:
        del wire["result_versions"]
    else:
        wire["result_versions"] = list(result_versions)
    return wire


def blocking_run(job):
    return SandboxRun(0, report("unblock-the-loop", BLOCKING), False, False, "t")


@pytest.fixture
def queues(redis_url, monkeypatch):
    """The grading and results queues on Valkey, graded by a scripted sandbox."""
    monkeypatch.setattr(jobs, "_docker_client", lambda: None)
    monkeypatch.setattr(
        jobs,
        "grade_request",
        lambda req, runner, ceilings, adapter: grade_request(
            req, blocking_run, ceilings, adapter=adapter
        ),
    )
    connection = redis.Redis.from_url(redis_url)
    grading = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    results = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    yield grading, results
    connection.close()


@pytest.mark.valkey
@pytest.mark.parametrize(
    ("result_versions", "version"),
    [(None, 1), ((1,), 1), ((1, 2), 2), ((2, 1, 7), 2)],
    ids=["older-portal", "reads-1", "reads-1-and-2", "unknown-version-ignored"],
)
def test_the_grade_job_answers_in_the_version_the_portal_reads(queues, result_versions, version):
    grading, results = queues
    grading.enqueue(
        contract.GRADE_JOB, unblock_request(result_versions), job_id=contract.grade_job_id("1")
    )

    SimpleWorker([grading], connection=grading.connection, serializer=JSONSerializer).work(
        burst=True
    )

    [published] = results.get_jobs()
    wire = published.args[0]
    assert wire["schema_version"] == version
    # Version 1 has none of the new fields, version 2 all of them.
    assert V2_FIELDS & set(wire) == (V2_FIELDS if version == 2 else set())
    result = contract.decode(contract.GradeResult, wire)
    assert result.verdict == "failed"
    if version == 2:
        assert result.diagnoses[0].cause == "work_on_main_thread"
        assert [chart.unit for chart in result.charts] == ["ms", "x"]
        assert result.findings


@pytest.mark.valkey
@pytest.mark.parametrize("version", [1, 2])
def test_publish_result_writes_the_version_it_is_given(redis_url, version):
    result = grade_request(
        contract.decode(contract.GradeRequest, unblock_request(None)), blocking_run
    )
    connection = redis.Redis.from_url(redis_url)

    publish_result(connection, result, version)

    queue = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    [job] = queue.get_jobs()
    assert job.id == contract.result_job_id(result.submission_id)
    assert job.func_name == contract.RECORD_RESULT_JOB
    assert job.args[0] == contract.encode_grade_result(result, version)
    assert job.args[0]["schema_version"] == version
    connection.close()
