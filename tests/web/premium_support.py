"""What the premium tests share: people of each role, logged in, and a second school.

Imported by the premium test modules (conftest.py is shared with the other parts of the
platform and stays as it is).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import Role, School, User
from tests.web import admin_support
from tests.web.conftest import Browser

PASSWORD = "a long enough password"
# The test modules take it from here, with the other helpers of their feature.
log_in_as = admin_support.log_in_as


def count(db: Session, model) -> int:
    """How many rows `model` has, across every school."""
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def pupil(make_user) -> User:
    return make_user("pupil@example.org", PASSWORD, "Pupil")


@pytest.fixture
def admin(make_user) -> User:
    return make_user("head@example.org", PASSWORD, "Head Admin", role=Role.SCHOOL_ADMIN)


@pytest.fixture
def pupil_browser(app, make_browser, pupil) -> Browser:
    return log_in_as(make_browser, app, pupil)


@pytest.fixture
def admin_browser(app, make_browser, admin) -> Browser:
    return log_in_as(make_browser, app, admin)


@pytest.fixture
def other_school(db: Session, make_user) -> School:
    """A second school with a student of its own."""
    school = School(slug="school-b", name="School B")
    db.add(school)
    db.commit()
    make_user("pupil@school-b.example.org", PASSWORD, "B pupil", school=school)
    return school
