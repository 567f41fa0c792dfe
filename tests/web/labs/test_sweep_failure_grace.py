"""The sweep leaves a just-failed grading job to the graders, and closes it once it stays failed.

A grader's work-horse killed mid-job fails its job; a live grader requeues it within
seconds (grader.abandoned). The minute sweep must not close the submission as not gradable
in between, or the re-grade's verdict would be ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq.job_lifecycle import record_job_failure

import contract
from portal.catalogue.catalogue import get_catalogue
from portal.labs.sweep import FAILURE_GRACE, requeue_stale_submissions
from portal.models import Submission


def test_a_failure_younger_than_the_grace_is_left_to_the_graders(
    app, student_browser, grading_queue, db
):
    assert student_browser.submit_code("console.log('hi');\n").status_code == 302
    job = grading_queue.fetch_job(contract.grade_job_id("1"))
    job.ended_at = datetime.now(UTC)  # as the worker records a dead work-horse's job
    with grading_queue.connection.pipeline() as pipeline:
        record_job_failure(job, "Work-horse terminated unexpectedly; waitpid returned 9", pipeline)
        pipeline.execute()
    job.refresh()
    failed_at = job.ended_at
    with app.app_context():
        catalogue = get_catalogue()
    # Old enough for the sweep to look at it (it ignores the last minute's submissions).
    db.get(Submission, 1).created_at = failed_at - timedelta(minutes=5)
    db.commit()

    soon = failed_at + FAILURE_GRACE / 2
    assert requeue_stale_submissions(db, grading_queue, catalogue, now=soon).waiting == [1]
    later = failed_at + FAILURE_GRACE * 2
    assert requeue_stale_submissions(db, grading_queue, catalogue, now=later).closed == [1]
