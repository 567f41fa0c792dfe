"""Users for school admins: search, roles, deactivation and set-password links."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.auth.reset import user_for_token
from portal.models import AuditEvent, Role, User
from tests.web.conftest import PASSWORD, log_in_as


def _emails(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/users/\d+">([^<]+)</a>', page)


@pytest.fixture
def admin(browsers):
    return browsers["school_admin"]


def test_search_finds_email_or_name_case_insensitively_and_filters_by_role(
    admin, make_user, people
):
    make_user("grace.hopper@example.org", PASSWORD, "Grace", Role.STUDENT)
    make_user("someone@example.org", PASSWORD, "Grace Teacher", Role.INSTRUCTOR)
    make_user("100%_sure@example.org", PASSWORD, "Percent", Role.STUDENT)

    page = admin.client.get("/admin/users?q=GRACE").get_data(as_text=True)
    assert _emails(page) == ["grace.hopper@example.org", "someone@example.org"]

    page = admin.client.get("/admin/users?q=grace&role=instructor").get_data(as_text=True)
    assert _emails(page) == ["someone@example.org"]

    # LIKE wildcards in the search are plain characters.
    page = admin.client.get("/admin/users?q=%25_").get_data(as_text=True)
    assert _emails(page) == ["100%_sure@example.org"]

    page = admin.client.get("/admin/users?role=student").get_data(as_text=True)
    assert "student@example.org" in _emails(page) and "instructor@example.org" not in page


def test_the_list_is_paginated(admin, db, default_school):
    db.add_all(
        User(
            tenant_id=default_school.id,
            email=f"many{i:03}@example.org",
            display_name=f"Many {i}",
            password_hash="x",
        )
        for i in range(60)
    )
    db.commit()
    first = admin.client.get("/admin/users?q=many").get_data(as_text=True)
    second = admin.client.get("/admin/users?q=many&page=2").get_data(as_text=True)
    assert len(_emails(first)) == 50 and len(_emails(second)) == 10
    assert "Page 1 of 2" in first and "many059@example.org" in second


def test_an_admin_changes_a_role_and_it_is_audited(admin, db, people):
    student = people["student"]
    response = admin.post_form(
        f"/admin/users/{student.id}/role", {"role": "instructor"}, f"/admin/users/{student.id}"
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, student.id).role == "instructor"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.role_changed")).one()
    assert event.target == f"user:{student.id}" and event.actor_id == people["school_admin"].id
    assert event.detail == {"old": "student", "new": "instructor"}


@pytest.mark.parametrize("role", ["platform_admin", "wizard"])
def test_a_school_admin_cannot_grant_platform_admin_or_a_made_up_role(admin, db, people, role):
    student = people["student"]
    response = admin.post_form(
        f"/admin/users/{student.id}/role", {"role": role}, f"/admin/users/{student.id}"
    )
    assert response.status_code == 422
    db.expire_all()
    assert db.get(User, student.id).role == "student"


def test_a_school_admin_cannot_demote_a_platform_admin(admin, db, people):
    target = people["platform_admin"]
    response = admin.post_form(
        f"/admin/users/{target.id}/role", {"role": "student"}, f"/admin/users/{target.id}"
    )
    assert response.status_code == 422
    assert "platform" in response.get_data(as_text=True).lower()
    db.expire_all()
    assert db.get(User, target.id).role == "platform_admin"


def test_the_last_school_admin_cannot_demote_or_deactivate_themselves(admin, db, people):
    me = people["school_admin"]
    response = admin.post_form(
        f"/admin/users/{me.id}/role", {"role": "student"}, f"/admin/users/{me.id}"
    )
    assert response.status_code == 422
    assert "last active admin" in response.get_data(as_text=True)
    response = admin.post_form(f"/admin/users/{me.id}/deactivate", {}, f"/admin/users/{me.id}")
    assert response.status_code == 422
    db.expire_all()
    assert db.get(User, me.id).role == "school_admin" and db.get(User, me.id).is_active


def test_with_a_second_admin_one_may_step_down(app, admin, db, people, make_user, make_browser):
    me = people["school_admin"]
    make_user("deputy@example.org", PASSWORD, "Deputy", Role.SCHOOL_ADMIN)
    response = admin.post_form(
        f"/admin/users/{me.id}/role", {"role": "instructor"}, f"/admin/users/{me.id}"
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, me.id).role == "instructor"
    assert admin.client.get("/admin/users").status_code == 403


def test_deactivation_stops_logins_and_reactivation_restores_them(
    app, admin, db, people, make_browser
):
    student = people["student"]
    response = admin.post_form(
        f"/admin/users/{student.id}/deactivate", {}, f"/admin/users/{student.id}"
    )
    assert response.status_code == 302
    assert make_browser(app).log_in(student.email, PASSWORD).status_code == 401
    response = admin.post_form(
        f"/admin/users/{student.id}/reactivate", {}, f"/admin/users/{student.id}"
    )
    assert response.status_code == 302
    assert make_browser(app).log_in(student.email, PASSWORD).status_code == 302
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.deactivated", "user.reactivated"]


def test_nobody_deactivates_themselves(app, db, make_user, make_browser, people):
    make_user("deputy@example.org", PASSWORD, "Deputy", Role.SCHOOL_ADMIN)
    admin = log_in_as(make_browser, app, people["school_admin"])
    me = people["school_admin"]
    response = admin.post_form(f"/admin/users/{me.id}/deactivate", {}, f"/admin/users/{me.id}")
    assert response.status_code == 422
    assert "your own account" in response.get_data(as_text=True)


def test_a_reset_link_is_shown_once_and_sets_the_password(app, admin, db, people):
    student = people["student"]
    response = admin.post_form(
        f"/admin/users/{student.id}/reset-password", {}, f"/admin/users/{student.id}"
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    link = re.search(r'value="(http://[^"]+/auth/reset\?token=([^"]+))"', page)
    assert link, page
    token = link.group(2)
    with app.app_context():
        assert user_for_token(db, token).id == student.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "password.reset_issued")).one()
    assert token not in str(event.detail) and event.target == f"user:{student.id}"
    # The page with the user shows no link again.
    assert token not in admin.client.get(f"/admin/users/{student.id}").get_data(as_text=True)


def test_another_schools_user_is_not_found(admin, other_school):
    _, stranger = other_school
    assert admin.client.get(f"/admin/users/{stranger.id}").status_code == 404
    assert admin.client.get(f"/admin/progress/{stranger.id}").status_code == 404
    response = admin.post_form(f"/admin/users/{stranger.id}/deactivate", {}, "/admin/users")
    assert response.status_code == 404


def test_instructors_cannot_change_users(browsers, people):
    student = people["student"]
    response = browsers["instructor"].post_form(
        f"/admin/users/{student.id}/role", {"role": "instructor"}, "/admin/"
    )
    assert response.status_code == 403
