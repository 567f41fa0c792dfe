"""Who has premium: resolved school -> course -> user; revoked and expired grant nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.models import Entitlement, GrantSource, Role, utc_now
from portal.premium.entitlements import (
    has_premium,
    resolving_entitlement,
    revoke_grant,
    turn_licence_off,
    turn_licence_on,
)
from tests.web.conftest import PASSWORD

COURSE = "node-workers"


def add(db, school, **fields) -> Entitlement:
    fields.setdefault("source", GrantSource.ADMIN.value)
    grant = Entitlement(tenant_id=school.id, **fields)
    db.add(grant)
    db.commit()
    return grant


def test_a_student_without_any_entitlement_has_no_premium(db, pupil):
    assert not has_premium(db, pupil, COURSE)


def test_a_guest_never_has_premium(db, default_school):
    add(db, default_school, source=GrantSource.LICENCE.value)
    assert not has_premium(db, None, COURSE)


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.SCHOOL_ADMIN, Role.PLATFORM_ADMIN])
def test_staff_always_have_premium(db, make_user, role):
    staff = make_user(f"{role.value}@example.org", PASSWORD, "Staff", role=role)
    assert has_premium(db, staff, COURSE)


def test_a_school_wide_licence_gives_every_student_every_course(db, default_school, pupil):
    add(db, default_school, user_id=None, course_id=None)
    assert has_premium(db, pupil, COURSE)
    assert has_premium(db, pupil, "another-course")


def test_a_course_licence_gives_that_course_only(db, default_school, pupil):
    add(db, default_school, user_id=None, course_id=COURSE)
    assert has_premium(db, pupil, COURSE)
    assert not has_premium(db, pupil, "another-course")


def test_a_user_grant_gives_that_user_only(db, default_school, pupil, make_user):
    add(db, default_school, user_id=pupil.id, course_id=None)
    classmate = make_user("classmate@example.org", PASSWORD, "Classmate")
    assert has_premium(db, pupil, COURSE)
    assert not has_premium(db, classmate, COURSE)


def test_a_user_grant_for_one_course_does_not_open_another(db, default_school, pupil):
    add(db, default_school, user_id=pupil.id, course_id=COURSE)
    assert has_premium(db, pupil, COURSE)
    assert not has_premium(db, pupil, "another-course")


def test_resolution_names_the_school_then_the_course_then_the_user(db, default_school, pupil):
    mine = add(db, default_school, user_id=pupil.id, course_id=COURSE)
    assert resolving_entitlement(db, pupil, COURSE) == mine
    course_licence = add(db, default_school, user_id=None, course_id=COURSE)
    assert resolving_entitlement(db, pupil, COURSE) == course_licence
    school_licence = add(db, default_school, user_id=None, course_id=None)
    assert resolving_entitlement(db, pupil, COURSE) == school_licence


def test_an_expired_entitlement_grants_nothing(db, default_school, pupil):
    now = utc_now()
    add(db, default_school, user_id=pupil.id, until=now - timedelta(seconds=1))
    assert not has_premium(db, pupil, COURSE, now)


def test_an_entitlement_lasts_until_its_end(db, default_school, pupil):
    now = utc_now()
    add(db, default_school, user_id=pupil.id, until=now + timedelta(days=1))
    assert has_premium(db, pupil, COURSE, now)
    assert not has_premium(db, pupil, COURSE, now + timedelta(days=2))


def test_a_revoked_entitlement_grants_nothing_and_says_who_revoked_it(
    db, default_school, pupil, make_user
):
    admin = make_user("head@example.org", PASSWORD, "Head", role=Role.SCHOOL_ADMIN)
    grant = add(db, default_school, user_id=pupil.id)
    revoke_grant(db, default_school, admin, grant.id, "left the course")
    db.refresh(grant)
    assert not has_premium(db, pupil, COURSE)
    assert grant.revoked_by_id == admin.id and grant.revoked_at is not None


def test_another_schools_licence_does_not_count(db, pupil, second_school):
    add(db, second_school, user_id=None, course_id=None)
    assert not has_premium(db, pupil, COURSE)


def test_turning_the_licence_on_again_replaces_it_and_off_ends_it(db, default_school, pupil):
    first = turn_licence_on(db, default_school, None, None, "pilot")
    second = turn_licence_on(db, default_school, None, utc_now() + timedelta(days=30), "extended")
    db.refresh(first)
    assert first.revoked_at is not None and second.revoked_at is None
    assert has_premium(db, pupil, COURSE)
    assert turn_licence_off(db, default_school, None, "budget") == 1
    assert not has_premium(db, pupil, COURSE)
