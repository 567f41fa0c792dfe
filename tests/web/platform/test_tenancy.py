"""Which school a request belongs to, and that accounts stay in their school."""

from __future__ import annotations

import pytest

from portal.models import School
from portal.tenancy import school_for_host
from tests.web.conftest import PASSWORD


@pytest.fixture
def empty_school_a(db) -> School:
    school = School(slug="school-a", name="School A")
    db.add(school)
    db.commit()
    return school


@pytest.mark.parametrize(
    ("host", "slug"),
    [
        ("school-a.example.org", "school-a"),
        ("School-A.localhost:5000", "school-a"),
        ("localhost:5000", "default"),
        ("127.0.0.1", "default"),
        ("unknown.example.org", "default"),
    ],
)
def test_the_host_picks_the_school(db, empty_school_a, host, slug):
    assert school_for_host(db, host).slug == slug


def test_a_login_is_only_good_at_its_own_school(app, make_browser, make_user, empty_school_a):
    make_user("ada@example.org", PASSWORD, school=empty_school_a)
    browser = make_browser(app)
    token = browser.csrf_token()
    form = {"email": "ada@example.org", "password": PASSWORD, "csrf_token": token}
    assert browser.client.post("/auth/login", data=form).status_code == 401  # default school

    at_a = app.test_client()
    page = at_a.get("/auth/login", base_url="http://school-a.localhost")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    form["csrf_token"] = token.split('"')[0]
    response = at_a.post("/auth/login", data=form, base_url="http://school-a.localhost")
    assert response.status_code == 302
    lab = "/courses/node-workers/labs/thread-lab"
    assert at_a.get(lab, base_url="http://school-a.localhost").status_code == 200
    # The same cookie, presented at another school, is nobody there.
    at_a.set_cookie(
        "session", at_a.get_cookie("session", domain="school-a.localhost").value, domain="localhost"
    )
    assert at_a.get(lab, base_url="http://localhost").status_code == 302
