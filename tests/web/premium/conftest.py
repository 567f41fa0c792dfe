"""Fixtures of the premium tests: a school admin, logged in, and a second school."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from portal.models import Role, School, User
from tests.web.conftest import PASSWORD, Browser, log_in_as


@pytest.fixture
def admin(make_user) -> User:
    return make_user("head@example.org", PASSWORD, "Head Admin", role=Role.SCHOOL_ADMIN)


@pytest.fixture
def admin_browser(app, make_browser, admin) -> Browser:
    return log_in_as(make_browser, app, admin)


@pytest.fixture
def second_school(db: Session, make_user) -> School:
    """A second school with a student of its own."""
    school = School(slug="school-b", name="School B")
    db.add(school)
    db.commit()
    make_user("pupil@school-b.example.org", PASSWORD, "B pupil", school=school)
    return school
