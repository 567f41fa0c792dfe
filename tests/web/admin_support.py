"""A graded submission written straight into the database, as the staff's pages list it.

The dashboard, error report and notification tests share it; the people of each role and
their logged-in browsers are fixtures of tests/web/conftest.py.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import Submission, User, utc_now


def add_submission(
    db: Session,
    user: User,
    *,
    lab_id: str = "thread-lab",
    verdict: str | None = "passed",
    score: float = 1.0,
    code: str = "console.log('hi')",
    measurements: dict | None = None,
    analysis: dict | None = None,
) -> Submission:
    """A graded submission of `user` (or a queued one when `verdict` is None)."""
    submission = Submission(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id="node-workers",
        lab_id=lab_id,
        code=code,
        entrypoint="main.js",
        status="graded" if verdict else "queued",
        verdict=verdict,
        score=score if verdict else None,
        gradable=True if verdict else None,
        feedback="A.D.A. thinks the loop stayed free." if verdict else None,
        checks=[{"name": "sends_message", "passed": True, "message": "<b>crossed</b>"}],
        output={"text": "hello <worker>\n", "truncated": False, "bytes_total": 15},
        measurements=measurements or {"event_loop_p99_ms": 3.5},
        analysis=analysis,
        graded_at=utc_now() if verdict else None,
    )
    db.add(submission)
    db.commit()
    return submission
