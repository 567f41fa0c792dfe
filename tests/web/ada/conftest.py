"""Fixtures of the A.D.A. tests: a premium student, a school admin, a fake chat endpoint."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from portal.models import Role, User
from portal.premium.entitlements import grant_to_user
from tests.web.ada.ada_support import FakeEndpoint, endpoint_handler
from tests.web.conftest import PASSWORD, Browser, log_in_as


@pytest.fixture
def premium_student(db, make_user, default_school) -> User:
    """A student with premium (an admin's grant)."""
    user = make_user("premium@example.org", PASSWORD, "Premium Student")
    grant_to_user(db, default_school, None, user.email, None, "A.D.A. tests")
    return user


@pytest.fixture
def premium_browser(app, make_browser, premium_student) -> Browser:
    return log_in_as(make_browser, app, premium_student)


@pytest.fixture
def school_admin(make_user) -> User:
    return make_user("head@example.org", PASSWORD, "Head Admin", role=Role.SCHOOL_ADMIN)


@pytest.fixture
def admin_browser(app, make_browser, school_admin) -> Browser:
    return log_in_as(make_browser, app, school_admin)


@pytest.fixture
def fake_endpoint() -> Iterator[FakeEndpoint]:
    """A running fake endpoint, stopped after the test."""
    endpoint = FakeEndpoint(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), endpoint_handler(endpoint))
    server.daemon_threads = True
    endpoint.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    endpoint.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)
