"""Which record jobs are retried: a database away, yes; a result that can never be recorded, no.

The grader publishes every result with retries (grader.publish.RECORD_RETRY_INTERVALS) so
that a database outage costs a delay, never the result (tests/web/labs/test_database_down.py).
A result for a submission this portal does not have, or one naming another school, fails
the same way on every try: it goes to the failed registry at once, for an operator to see.
"""

from __future__ import annotations

import pytest
from rq.job import JobStatus

import contract
from grader.publish import publish_result
from tests.web.conftest import grade_result


@pytest.mark.parametrize(
    ("submission_id", "tenant_id"),
    [("999999", "1"), ("not-a-number", "1")],
    ids=["unknown submission", "malformed id"],
)
def test_a_result_that_cannot_be_recorded_fails_at_once(
    app, redis_connection, results_queue, submission_id, tenant_id
):
    publish_result(
        redis_connection, grade_result(submission_id, tenant_id), contract.GRADE_RESULT_VERSION
    )

    outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])

    assert outcome.exit_code == 0, outcome.output
    job = results_queue.fetch_job(contract.result_job_id(submission_id))
    assert job.get_status() == JobStatus.FAILED
    assert results_queue.scheduled_job_registry.get_job_ids() == []
