"""Recording a grader's answer on its submission, exactly once.

The web-worker may see the same GradeResult twice (a grader retried after publishing, a
result re-published by hand): the first recording wins, later ones change nothing, and
the reward ledger's unique keys make sure nothing is awarded twice either.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

import contract
from portal.catalogue.catalogue import Catalogue
from portal.gamification.service import grant_rewards
from portal.models import Submission, SubmissionStatus, utc_now

log = logging.getLogger(__name__)

NOT_COUNTED = "Grading is temporarily unavailable; this attempt does not count."


class UnknownSubmission(LookupError):
    """The result names a submission this portal does not have."""


class ResultMismatch(ValueError):
    """The result's tenant or lab is not the submission's: it is not this one's answer."""


def record_grade_result(
    session: Session, catalogue: Catalogue, result: contract.GradeResult
) -> bool:
    """Store `result` on its submission and grant the rewards the course declares for it;
    False if it was recorded before."""
    submission = _locked_submission(session, result.submission_id)
    if str(submission.tenant_id) != result.tenant_id or submission.lab_id != result.lab_id:
        raise ResultMismatch(
            f"result for submission {result.submission_id} names tenant {result.tenant_id!r} "
            f"and lab {result.lab_id!r}"
        )
    if submission.is_final:
        session.rollback()
        log.info("result for submission %s was recorded before; ignored", submission.id)
        return False
    if result.gradable:
        _store_verdict(submission, result)
    elif result.verdict == "inconclusive":
        # Not counted, but the student's own: show the checks and why they were not judged.
        _store_verdict(submission, result)
        submission.gradable = False
    else:
        # The grader's own text may describe our infrastructure; the student gets ours.
        log.warning("submission %s not gradable: %s", submission.id, result.feedback)
        mark_not_gradable(submission)
        submission.measurements = dict(result.measurements)
        submission.times = dataclasses.asdict(result.times)
    session.flush()
    if result.gradable:
        grant_rewards(session, catalogue, submission)
    session.commit()
    return True


def _locked_submission(session: Session, submission_id: str) -> Submission:
    if not submission_id.isdigit():
        raise UnknownSubmission(submission_id)
    # Row lock (PostgreSQL): two workers with the same result record it one after the other.
    submission = session.scalars(
        select(Submission).where(Submission.id == int(submission_id)).with_for_update()
    ).one_or_none()
    if submission is None:
        raise UnknownSubmission(submission_id)
    return submission


def _store_verdict(submission: Submission, result: contract.GradeResult) -> None:
    submission.status = SubmissionStatus.GRADED.value
    submission.verdict = result.verdict
    submission.score = result.score
    submission.gradable = True
    submission.feedback = result.feedback
    submission.checks = [dataclasses.asdict(check) for check in result.checks]
    submission.output = dataclasses.asdict(result.output)
    submission.measurements = dict(result.measurements)
    submission.times = dataclasses.asdict(result.times)
    submission.analysis = analysis_of(result)
    submission.graded_at = utc_now()


def analysis_of(result: contract.GradeResult) -> dict | None:
    """What the grader says to show, as stored; None from a version-1 result (an older
    grader during a rolling deploy), which carries none of it."""
    if result.schema_version < 2:
        return None
    return {
        "findings": list(result.findings),
        "diagnoses": [dataclasses.asdict(diagnosis) for diagnosis in result.diagnoses],
        "charts": [dataclasses.asdict(chart) for chart in result.charts],
    }


def mark_not_gradable(submission: Submission, feedback: str = NOT_COUNTED) -> None:
    """Close `submission` as our failure: shown as such, never counted against the student."""
    submission.status = SubmissionStatus.GRADED.value
    submission.verdict = "infra_error"
    submission.score = 0.0
    submission.gradable = False
    submission.feedback = feedback
    submission.checks = []
    submission.output = {"text": "", "truncated": False, "bytes_total": 0}
    submission.graded_at = utc_now()
