"""The school admin's settings of A.D.A.'s endpoint: validated, audited, the key write-only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, School
from tests.web.conftest import PASSWORD, log_in_as

KEY = "sk-live-VERY-SECRET-0042"
SETTINGS = "/admin/settings"
SAVE = "/admin/settings/ada"


def _save(browser, **fields):
    data = {"url": "", "model": "", "key": ""}
    data.update({name: value for name, value in fields.items() if value is not False})
    return browser.post_form(SAVE, data, form_page=SETTINGS)


def _school(db) -> School:
    db.expire_all()
    return db.scalars(select(School).where(School.slug == "default")).one()


def _events(db) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == "school.ada_endpoint_changed")
    return list(db.scalars(query.order_by(AuditEvent.id)))


def test_saving_the_endpoint_keeps_the_key_server_side(db, admin_browser):
    response = _save(
        admin_browser, enabled="y", url="https://api.example.org/v1/", model="tutor-1", key=KEY
    )

    assert response.status_code == 302
    school = _school(db)
    assert school.ada_endpoint_enabled is True
    assert school.ada_endpoint_url == "https://api.example.org/v1"
    assert (school.ada_endpoint_model, school.ada_endpoint_key) == ("tutor-1", KEY)
    [event] = _events(db)
    assert event.detail == {
        "enabled": True,
        "host": "api.example.org",
        "model": "tutor-1",
        "key": "replaced",
    }
    assert KEY not in json.dumps(event.detail)

    page = admin_browser.client.get(SETTINGS).get_data(as_text=True)
    assert "A key is set." in page
    assert KEY not in page
    assert 'value="https://api.example.org/v1"' in page
    assert 'type="password"' in page


def test_an_empty_key_keeps_the_old_one_and_clearing_removes_it(db, admin_browser):
    _save(admin_browser, enabled="y", url="https://api.example.org/v1", model="m", key=KEY)

    _save(admin_browser, url="https://api.example.org/v1", model="m2")
    school = _school(db)
    assert (school.ada_endpoint_enabled, school.ada_endpoint_model) == (False, "m2")
    assert school.ada_endpoint_key == KEY

    _save(admin_browser, url="https://api.example.org/v1", model="m2", clear_key="y")
    assert _school(db).ada_endpoint_key is None
    assert [e.detail["key"] for e in _events(db)] == ["replaced", "unchanged", "cleared"]
    page = admin_browser.client.get(SETTINGS).get_data(as_text=True)
    assert "No key is set." in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "http://api.example.org/v1"}, "The URL must start with https://"),
        ({"url": "ftp://api.example.org/v1"}, "Give the endpoint&#39;s base URL"),
        ({"url": "api.example.org"}, "Give the endpoint&#39;s base URL"),
        ({"url": "https://user:pw@api.example.org/v1"}, "not in the URL"),
        ({"url": "https://api.example.org/v1?key=abc"}, "no ?query or #fragment"),
        ({"url": "https://api.example.org:99999/v1"}, "Give the endpoint&#39;s base URL"),
        ({"model": "m" * 101}, "1 to 100 characters."),
        ({"model": ""}, "Name the model the endpoint should use."),
        ({"key": KEY, "clear_key": "y"}, "Either give a new key or clear the key, not both."),
    ],
)
def test_bad_settings_are_refused_and_what_was_typed_is_kept(db, admin_browser, fields, message):
    typed = {"enabled": "y", "url": "https://api.example.org/v1", "model": "tutor-1", **fields}

    response = _save(admin_browser, **typed)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{typed["url"]}"' in html.replace("&amp;", "&")
    assert KEY not in html
    school = _school(db)
    assert (school.ada_endpoint_enabled, school.ada_endpoint_url) == (False, None)
    assert _events(db) == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://localhost/v1"])
def test_plain_http_is_allowed_to_this_machine_only(db, admin_browser, url):
    assert _save(admin_browser, enabled="y", url=url, model="local").status_code == 302
    assert _school(db).ada_endpoint_url == url


def test_in_production_plain_http_to_this_machine_is_refused(
    db, make_app, make_browser, school_admin
):
    # A school admin must not make the production server talk to its own ports.
    app = make_app(PORTAL_ENV="production", SESSION_COOKIE_SECURE=False)
    browser = log_in_as(make_browser, app, school_admin)
    response = _save(browser, enabled="y", url="http://127.0.0.1:6379/v1", model="local")
    assert response.status_code == 422
    assert "The URL must start with https://." in response.get_data(as_text=True)
    assert _school(db).ada_endpoint_url is None


def test_the_settings_are_the_school_admins_only(app, make_browser, make_user):
    from portal.models import Role

    teacher = make_user("t@example.org", PASSWORD, "T", role=Role.INSTRUCTOR)
    browser = log_in_as(make_browser, app, teacher)
    token = browser.csrf_token("/auth/login")
    data = {"csrf_token": token, "enabled": "y", "url": "https://x.example.org", "model": "m"}
    refused = browser.client.post(SAVE, data=data)
    assert refused.status_code == 403
