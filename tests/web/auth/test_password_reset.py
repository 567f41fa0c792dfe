"""Forgot password: a mailed link that works once, expires, and never shows in the logs."""

from __future__ import annotations

import email
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.auth import reset
from portal.models import LoginAttempt, PasswordResetToken, utc_now

EMAIL, PASSWORD, NEW_PASSWORD = "ada@example.org", "correct horse battery", "a brand new password"
SAME_ANSWER = "If an account with this email exists here, we have sent it a link"
LINK = re.compile(r"http://localhost(/auth/reset\?token=([\w-]+))")


@pytest.fixture
def outbox(app) -> Path:
    return Path(app.config["MAIL_OUTBOX_DIR"])


def mails(outbox: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]


def ask_for_link(browser, address: str = EMAIL):
    return browser.post_form("/auth/forgot", {"email": address})


def mailed_link(outbox: Path) -> tuple[str, str]:
    """The path (with its query) and the token of the newest mailed link."""
    body = mails(outbox)[-1].get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1), match.group(2)


def set_password(browser, link_path: str, password: str = NEW_PASSWORD):
    return browser.post_form(
        "/auth/reset",
        {"token": link_path.split("token=", 1)[1], "password": password},
        form_page="/auth/forgot",  # the session's CSRF token, also when the link is dead
    )


def test_the_login_page_links_to_the_forgot_page(browser):
    page = browser.client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot">Forgot your password?</a>' in page
    assert browser.client.get("/auth/forgot").status_code == 200


def test_a_mailed_link_sets_a_new_password_once(browser, student, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    response = ask_for_link(browser)
    assert response.status_code == 200
    assert SAME_ANSWER in response.get_data(as_text=True)
    (mail,) = mails(outbox)
    assert mail["To"] == EMAIL
    link_path, token = mailed_link(outbox)

    form_page = browser.client.get(link_path)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.get_data(as_text=True)
    assert form_page.headers["Referrer-Policy"] == "strict-origin"

    response = set_password(browser, link_path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    page = browser.client.get("/auth/login").get_data(as_text=True)
    assert "Your password is changed" in page

    assert browser.log_in(EMAIL, PASSWORD).status_code == 401
    assert browser.log_in(EMAIL, NEW_PASSWORD).status_code == 302

    # Used: refused, with a way to ask again, and the password stays the new one.
    again = browser.client.get(link_path)
    assert again.status_code == 400
    assert 'href="/auth/forgot">Ask for a new link</a>' in again.get_data(as_text=True)
    assert set_password(browser, link_path, "yet another password").status_code == 400
    assert browser.log_in(EMAIL, NEW_PASSWORD).status_code == 302

    # The token is in no log line; only the fact that a mail was written is.
    assert token not in caplog.text
    assert "mail written to the outbox" in caplog.text


def test_unknown_emails_get_the_same_answer_and_no_mail(browser, student, outbox):
    known = ask_for_link(browser, EMAIL).get_data(as_text=True)
    unknown = ask_for_link(browser, "nobody@example.org").get_data(as_text=True)
    assert SAME_ANSWER in unknown
    assert known == unknown
    assert len(mails(outbox)) == 1


def test_at_most_three_links_an_hour(browser, student, outbox, app, db, default_school):
    for _ in range(4):
        assert SAME_ANSWER in ask_for_link(browser).get_data(as_text=True)
    assert len(mails(outbox)) == 3
    # An hour later the account may ask again.
    with app.app_context():
        later = utc_now() + timedelta(hours=1, minutes=1)
        assert reset.request_reset(db, default_school, EMAIL, now=later) is not None


def test_an_expired_link_is_refused(browser, student, outbox, db):
    ask_for_link(browser)
    link_path, _token = mailed_link(outbox)
    row = db.scalars(select(PasswordResetToken)).one()
    row.expires_at = utc_now() - timedelta(seconds=1)
    db.commit()
    response = browser.client.get(link_path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert set_password(browser, link_path).status_code == 400
    assert browser.log_in(EMAIL, PASSWORD).status_code == 302


@pytest.mark.parametrize("query", ["", "?token=", "?token=made-up-token"])
def test_a_missing_or_unknown_token_is_refused(browser, query):
    response = browser.client.get("/auth/reset" + query)
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)


def test_using_one_link_voids_the_others(browser, student, outbox):
    ask_for_link(browser)
    first, _ = mailed_link(outbox)
    ask_for_link(browser)
    second, _ = mailed_link(outbox)
    assert first != second
    assert set_password(browser, second).status_code == 302
    assert browser.client.get(first).status_code == 400


def test_the_new_password_follows_the_registration_rules(browser, student, outbox):
    ask_for_link(browser)
    link_path, _ = mailed_link(outbox)
    response = set_password(browser, link_path, "short")
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True).lower()
    assert set_password(browser, link_path).status_code == 302  # still usable


def test_a_link_of_another_school_does_not_work_here(app, browser, db, make_user, outbox):
    from portal.models import School

    other = School(slug="other", name="Other School")
    db.add(other)
    db.commit()
    stranger = make_user("eve@example.org", PASSWORD, school=other)
    with app.app_context():
        token = reset.issue_reset_token(db, stranger, issued_by=None)
        db.commit()
    assert browser.client.get(f"/auth/reset?token={token}").status_code == 400


def test_a_reset_lifts_the_login_lockout(browser, student, outbox, db):
    for _ in range(5):
        browser.log_in(EMAIL, "wrong password")
    assert browser.log_in(EMAIL, PASSWORD).status_code == 429
    ask_for_link(browser)
    link_path, _ = mailed_link(outbox)
    assert set_password(browser, link_path).status_code == 302
    assert browser.log_in(EMAIL, NEW_PASSWORD).status_code == 302
    failures = db.scalars(select(LoginAttempt).where(LoginAttempt.succeeded.is_(False))).all()
    assert failures == []


def test_smtp_failure_gives_the_same_answer_and_logs_no_token(
    make_app, make_browser, student, caplog
):
    caplog.set_level(logging.DEBUG)
    # Nothing listens on port 9 of localhost: the connection is refused at once.
    app = make_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=9, MAIL_SMTP_TLS="none")
    response = ask_for_link(make_browser(app))
    assert response.status_code == 200 and SAME_ANSWER in response.get_data(as_text=True)
    assert "not sent" in caplog.text
    with app.app_context():
        session = app.extensions["db_sessionmaker"]()
        assert session.scalars(select(PasswordResetToken)).one()
        session.close()
    assert "token=" not in caplog.text


def test_a_reset_logs_the_account_out_everywhere_else(
    app, make_browser, student_browser, student, outbox
):
    assert student_browser.client.get("/profile").status_code == 200
    other = make_browser(app)
    ask_for_link(other)
    link_path, _token = mailed_link(outbox)
    assert set_password(other, link_path).status_code == 302

    # The browser that was logged in with the old password is logged out.
    response = student_browser.client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert student_browser.log_in(EMAIL, NEW_PASSWORD).status_code == 302
    assert student_browser.client.get("/profile").status_code == 200
