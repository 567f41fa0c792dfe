"""What the dashboard's tests share: people of each role, logged in, and school data.

Fixtures are imported by the test modules that use them (conftest.py is shared with the
other parts of the platform and stays as it is).
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from portal.models import Role, School, Submission, User, utc_now
from tests.web.conftest import Browser

PASSWORD = "a long enough password"


def log_in_as(make_browser, app, user: User) -> Browser:
    """A new visitor logged in as `user` (whose password is PASSWORD)."""
    browser = make_browser(app)
    response = browser.log_in(user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


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


@pytest.fixture
def people(make_user) -> dict[str, User]:
    """One account of each role at the default school."""
    return {
        role.value: make_user(f"{role.value}@example.org", PASSWORD, role.value.title(), role)
        for role in Role
    }


@pytest.fixture
def browsers(app, make_browser, people) -> dict[str, Browser]:
    """A logged-in visitor per role, and a guest."""
    found = {role: log_in_as(make_browser, app, user) for role, user in people.items()}
    found["guest"] = make_browser(app)
    return found


@pytest.fixture
def other_school(db: Session, make_user) -> tuple[School, User]:
    """A second school with a student, to check that its ids answer 404."""
    school = School(slug="school-b", name="School B")
    db.add(school)
    db.commit()
    return school, make_user("b@school-b.example.org", PASSWORD, "Bea", school=school)
