"""An inconclusive measurement is measured again, never turned into a pass or a fail.

The lab kind here is scripted: its speed check is inconclusive for the first runs and
decisive after, so each test states how many sandbox runs the grading took and what the
student is told. The RQ side (a later retry marked `remeasuring`) runs on a real Valkey.
"""

from __future__ import annotations

import dataclasses

import pytest
import redis
from rq import Queue, Retry, SimpleWorker
from rq.job import JobStatus
from rq.serializers import JSONSerializer

import contract
from contract import CheckResult
from grader import jobs
from grader.adapters.node import ADAPTER as NODE
from grader.adapters.node.labs.kinds import lab_kind
from grader.pipeline import REMEASURE_RUNS, grade_request

from .test_pipeline import report, request, runner


def scripted_kind(outcomes: list[str]):
    """Thread Lab with one more check, `steady`, whose outcome per run comes from `outcomes`
    ('held', 'not held', 'unsure'); `required` says whether it decides the verdict."""
    runs = []

    def judge(facts, harness_report, config):
        outcome = outcomes[min(len(runs), len(outcomes) - 1)]
        runs.append(outcome)
        steady = CheckResult(
            "steady",
            outcome == "held",
            f"steady: {outcome}",
            inconclusive=outcome == "unsure",
        )
        return [*lab_kind("thread-lab").judge(facts, harness_report, config), steady]

    kind = dataclasses.replace(lab_kind("thread-lab"), judge=judge)
    return kind, runs


@pytest.fixture
def use_kind(monkeypatch):
    def install(outcomes, bonus=False):
        kind, runs = scripted_kind(outcomes)
        if bonus:
            kind = dataclasses.replace(kind, bonus_checks=frozenset({"steady"}), pass_score=0.6)
        monkeypatch.setitem(NODE.lab_kinds, kind.name, kind)
        return runs

    return install


def counting_runner():
    run = runner(report())
    calls = []

    def counted(job):
        calls.append(job)
        return run(job)

    return counted, calls


def test_a_noisy_run_is_measured_again_and_the_decisive_one_counts(use_kind):
    use_kind(["unsure", "held"])
    run, calls = counting_runner()
    result = grade_request(request(), run)
    assert len(calls) == 2
    assert result.verdict == "passed" and result.gradable
    assert "measured_runs" not in result.measurements


def test_still_noisy_after_the_reruns_is_inconclusive_and_not_counted(use_kind):
    use_kind(["unsure"])
    run, calls = counting_runner()
    result = grade_request(request(), run)
    assert len(calls) == 1 + REMEASURE_RUNS
    assert result.verdict == "inconclusive"
    assert result.gradable is False
    assert result.achievements == ()
    assert result.measurements["measured_runs"] == 1 + REMEASURE_RUNS
    steady = next(check for check in result.checks if check.name == "steady")
    assert steady.inconclusive and not steady.passed
    assert "too busy to measure steady" in result.feedback
    assert "does not count" in result.feedback


def test_a_noisy_bonus_check_is_not_a_pass_with_partial_marks(use_kind):
    use_kind(["unsure"], bonus=True)
    run, _ = counting_runner()
    result = grade_request(request(), run)
    assert result.verdict == "inconclusive" and result.gradable is False


def test_a_sure_failure_is_not_remeasured_whatever_else_was_noisy(use_kind):
    use_kind(["unsure"])
    run, calls = counting_runner()
    code = "const { Worker } = require('worker_threads'); new Worker(__filename);"
    # No message crossed: a required check fails for sure, so no rerun can change the verdict.
    observations = {
        "workers_created": 1,
        "workers_online": 1,
        "messages_to_main": 0,
        "messages_to_worker": 0,
    }
    silent = runner(report(observations=observations))

    def counted(job):
        calls.append(job)
        return silent(job)

    result = grade_request(request(code), counted)
    assert len(calls) == 1
    assert result.verdict == "failed" and result.gradable


@pytest.mark.valkey
def test_the_job_is_retried_later_and_marked_remeasuring(redis_url, monkeypatch, use_kind):
    use_kind(["unsure"])
    run, _ = counting_runner()
    monkeypatch.setattr(jobs, "_docker_client", lambda: None)
    monkeypatch.setattr(
        jobs,
        "grade_request",
        lambda req, runner, ceilings, adapter: grade_request(req, run, ceilings, adapter=adapter),
    )
    connection = redis.Redis.from_url(redis_url)
    queue = Queue(contract.GRADING_QUEUE, connection=connection, serializer=JSONSerializer)
    results = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    job = queue.enqueue(
        contract.GRADE_JOB,
        contract.encode(request()),
        job_id=contract.grade_job_id("1"),
        retry=Retry(max=1, interval=[60]),
    )
    worker = SimpleWorker([queue], connection=connection, serializer=JSONSerializer)

    worker.work(burst=True)
    job.refresh()
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.meta[contract.REMEASURING_META] is True
    assert results.count == 0  # nothing published yet: the student sees "measuring again"

    # The later try is inconclusive too, and no retry is left: the result is published.
    queue.enqueue_job(job)
    worker.work(burst=True)
    assert results.count == 1
    published = contract.decode(contract.GradeResult, results.jobs[0].args[0])
    assert published.verdict == "inconclusive" and published.gradable is False
