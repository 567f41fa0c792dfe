"""Login throttling: a lockout per email and per address, with time moved, not waited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.auth import throttle
from portal.auth.service import InvalidCredentials
from portal.models import LoginAttempt

CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')

EMAIL, PASSWORD = "ada@example.org", "correct horse battery"
LIMITS = throttle.LoginLimits(
    max_failures_per_account=5, max_failures_per_address=20, window=timedelta(minutes=15)
)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def attempt(app, db, default_school):
    """Try a login at `now` through the service; the account, or the exception raised."""

    def attempt(email: str, password: str, now: datetime, address: str = "198.51.100.1"):
        with app.app_context():
            try:
                return throttle.log_in_with_password(
                    db,
                    default_school,
                    email,
                    password,
                    remote_addr=address,
                    limits=LIMITS,
                    now=now,
                )
            except (InvalidCredentials, throttle.TooManyAttempts) as error:
                return error

    return attempt


def fail(attempt, email: str, times: int, start: datetime, address: str = "198.51.100.1"):
    for n in range(times):
        assert isinstance(
            attempt(email, "wrong password", start + timedelta(seconds=n), address),
            InvalidCredentials,
        )


@pytest.mark.parametrize("email", [EMAIL, "nobody@example.org"], ids=["known", "unknown"])
def test_five_failures_lock_the_email_until_the_window_passes(student, attempt, email):
    fail(attempt, email, 5, T0)
    refused = attempt(email, PASSWORD, T0 + timedelta(minutes=1))
    assert isinstance(refused, throttle.TooManyAttempts)  # even with the right password
    # The first failure (T0) leaves the window at T0 + 15 min: 14 minutes from now.
    assert refused.minutes == 14 and refused.seconds == 14 * 60
    still = attempt(email, PASSWORD, T0 + timedelta(minutes=14, seconds=59))
    assert isinstance(still, throttle.TooManyAttempts)

    after = attempt(email, PASSWORD, T0 + timedelta(minutes=15, seconds=1))
    if email == EMAIL:
        assert after.email == EMAIL
    else:
        assert isinstance(after, InvalidCredentials)


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(student, attempt):
    fail(attempt, EMAIL, 4, T0)
    assert attempt(EMAIL, PASSWORD, T0 + timedelta(minutes=1)).email == EMAIL
    fail(attempt, EMAIL, 4, T0 + timedelta(minutes=2))
    assert attempt(EMAIL, PASSWORD, T0 + timedelta(minutes=3)).email == EMAIL


def test_the_email_is_counted_as_typed_in_any_case(student, attempt):
    typed = ["ADA@example.org", " ada@EXAMPLE.org", "Ada@Example.Org", "ada@example.ORG ", EMAIL]
    for n, email in enumerate(typed):
        attempt(email, "wrong", T0 + timedelta(seconds=n))
    assert isinstance(attempt(EMAIL, PASSWORD, T0 + timedelta(minutes=1)), throttle.TooManyAttempts)


def test_twenty_failures_from_one_address_lock_that_address(make_user, attempt):
    make_user(EMAIL, PASSWORD)
    for n in range(20):  # four each for five emails: no email reaches its own limit
        fail(attempt, f"guess{n % 5}@example.org", 1, T0 + timedelta(seconds=n), "203.0.113.9")
    refused = attempt(EMAIL, PASSWORD, T0 + timedelta(minutes=1), "203.0.113.9")
    assert isinstance(refused, throttle.TooManyAttempts)
    # Another address is not affected, and the address is free again after the window.
    assert attempt(EMAIL, PASSWORD, T0 + timedelta(minutes=1), "203.0.113.10").email == EMAIL
    later = attempt(EMAIL, PASSWORD, T0 + timedelta(minutes=16), "203.0.113.9")
    assert later.email == EMAIL


def test_refused_attempts_are_not_recorded_and_old_ones_are_pruned(student, attempt, db):
    fail(attempt, EMAIL, 5, T0)
    for minute in range(1, 10):  # knocking on a locked account does not extend the lock
        assert isinstance(
            attempt(EMAIL, "wrong", T0 + timedelta(minutes=minute)), throttle.TooManyAttempts
        )
    assert len(db.scalars(select(LoginAttempt)).all()) == 5
    attempt(EMAIL, PASSWORD, T0 + timedelta(days=2))
    kept = db.scalars(select(LoginAttempt)).all()
    assert [(row.email, row.succeeded) for row in kept] == [(EMAIL, True)]


# --- through the login page --------------------------------------------------------------


def log_in(browser, email: str, password: str):
    return browser.log_in(email, password)


@pytest.mark.parametrize("email", [EMAIL, "nobody@example.org"], ids=["known", "unknown"])
def test_the_login_page_answers_429_with_retry_after(browser, student, email):
    for _ in range(5):
        assert log_in(browser, email, "wrong password").status_code == 401
    response = log_in(browser, email, PASSWORD if email == EMAIL else "wrong password")
    assert response.status_code == 429
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    page = response.get_data(as_text=True)
    assert "Too many failed attempts. Try again in 15 minutes." in page
    assert f'value="{email}"' in page  # what was typed is kept
    assert browser.client.get("/courses/node-workers/labs/thread-lab").status_code == 302


def test_known_and_unknown_emails_get_the_same_answers(browser, student):
    answers = {}
    for email in (EMAIL, "nobody@example.org"):
        statuses = [log_in(browser, email, "wrong password").status_code for _ in range(6)]
        page = log_in(browser, email, "wrong password").get_data(as_text=True)
        # The CSRF token is signed with the time, so it may differ between the two pages.
        page = CSRF_TOKEN.sub("TOKEN", page.replace(email, "EMAIL"))
        answers[email] = (statuses, page)
    assert answers[EMAIL] == answers["nobody@example.org"]
    assert answers[EMAIL][0] == [401] * 5 + [429]


def test_the_limits_come_from_the_configuration(make_app, make_browser, student):
    browser = make_browser(make_app(LOGIN_MAX_FAILURES_PER_ACCOUNT=2, LOGIN_LOCKOUT_MINUTES=3))
    assert log_in(browser, EMAIL, "wrong").status_code == 401
    assert log_in(browser, EMAIL, "wrong").status_code == 401
    response = log_in(browser, EMAIL, PASSWORD)
    assert response.status_code == 429
    assert "Try again in 3 minutes." in response.get_data(as_text=True)


def test_the_lockout_is_per_school(app, browser, make_user, db):
    from portal.models import School
    from tests.web.conftest import Browser

    other = School(slug="other", name="Other School")
    db.add(other)
    db.commit()
    make_user(EMAIL, PASSWORD)
    make_user(EMAIL, PASSWORD, school=other)
    for _ in range(5):
        log_in(browser, EMAIL, "wrong")
    assert log_in(browser, EMAIL, PASSWORD).status_code == 429

    there = app.test_client()
    page = there.get("/auth/login", base_url="http://other.localhost").get_data(as_text=True)
    token = Browser.TOKEN.search(page).group(1)
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    response = there.post("/auth/login", data=form, base_url="http://other.localhost")
    assert response.status_code == 302
