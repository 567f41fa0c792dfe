"""Accounts through the pages: CSRF, register, log in and out, refused logins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import LoginAttempt, User
from tests.web.conftest import PASSWORD


def test_a_post_without_csrf_token_is_refused(browser, student):
    response = browser.client.post(
        "/auth/login", data={"email": "ada@example.org", "password": "correct horse battery"}
    )
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    assert browser.client.get("/courses/node-workers/labs/thread-lab").status_code == 302


def test_register_signs_in_then_log_out_and_log_in_again(browser):
    response = browser.register("Grace@Example.org", "Grace", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # signed in, not sent to log in
    page = browser.client.get("/").get_data(as_text=True)
    assert "Grace" in page and "Log out" in page and "your account is ready" in page
    assert browser.client.get("/courses/node-workers/labs/thread-lab").status_code == 200

    response = browser.log_out()
    assert response.status_code == 302
    assert "Log out" not in browser.client.get("/").get_data(as_text=True)
    assert browser.client.get("/courses/node-workers/labs/thread-lab").status_code == 302

    assert browser.log_in("GRACE@example.org", PASSWORD).status_code == 302
    assert browser.client.get("/courses/node-workers/labs/thread-lab").status_code == 200


def test_registering_an_email_twice_is_refused(browser, student):
    response = browser.register("ADA@example.org", "Ada again", "another long password")
    assert response.status_code == 422
    assert "exists already" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.org", "wrong password!"), ("nobody@example.org", "correct horse battery")],
    ids=["wrong-password", "unknown-email"],
)
def test_a_refused_login_says_the_same_generic_thing(browser, student, email, password):
    response = browser.log_in(email, password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Invalid email or password." in page
    assert "Log out" not in page


def test_login_only_follows_a_next_inside_the_site(browser, student):
    form = {"email": "ada@example.org", "password": "correct horse battery"}
    token = browser.csrf_token()
    response = browser.client.post(
        "/auth/login?next=//evil.example/", data={**form, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"
    browser.log_out()
    token = browser.csrf_token()
    response = browser.client.post(
        "/auth/login?next=/courses/node-workers", data={**form, "csrf_token": token}
    )
    assert response.headers["Location"] == "/courses/node-workers"


def test_a_logged_out_visitor_is_sent_to_log_in_and_a_script_gets_401(browser):
    response = browser.client.get("/courses/node-workers/labs/thread-lab")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    response = browser.client.get("/submissions/1/status", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_passwords_are_stored_as_argon2_hashes(student):
    assert student.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in student.password_hash


def test_registering_records_a_successful_login_and_starts_a_fresh_session(app, db, browser):
    browser.client.get("/auth/register")
    with browser.client.session_transaction() as session:
        session["planted"] = "by someone else"  # a fixated session must not survive
    assert browser.register("grace@example.org", "Grace", PASSWORD).status_code == 302
    with browser.client.session_transaction() as session:
        assert "planted" not in session and session["user_id"]
    attempts = db.scalars(select(LoginAttempt)).all()
    assert [(a.email, a.succeeded) for a in attempts] == [("grace@example.org", True)]


def test_an_address_locked_out_of_logins_cannot_register_its_way_in(app, db, browser):
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        assert browser.log_in(f"someone{n}@example.org", "wrong password!").status_code == 401
    response = browser.register("fresh@example.org", "Fresh", PASSWORD)
    assert response.status_code == 429 and response.headers["Retry-After"]
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert db.scalars(select(User).where(User.email == "fresh@example.org")).first() is None
    assert browser.client.get("/courses/node-workers/labs/thread-lab").status_code == 302
