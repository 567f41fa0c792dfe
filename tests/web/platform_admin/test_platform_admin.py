"""The platform admin's pages: who may open them, the schools, the activity charts.

Two schools hold users and submissions; the platform admin belongs to the default
school and sees both through the cross-school session, while everyone else gets 403
and a school admin's own pages stay scoped to their school.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from portal.db import get_db, open_cross_school_session
from portal.models import AuditEvent, Role, School, Submission, User, utc_now
from portal.tenancy import current_school
from tests.web.conftest import PASSWORD, Browser
from tests.web.two_schools import browser_at

PLATFORM_EMAIL = "ops@example.org"

GET_ROUTES = [
    "/platform/",
    "/platform/schools/new",
    "/platform/schools/{school_b}/edit",
    "/platform/grading",
    "/platform/charts/submissions-per-day.svg",
    "/platform/charts/pass-rate.svg",
]
POST_ROUTES = [
    "/platform/schools/new",
    "/platform/schools/{school_b}/edit",
    "/platform/schools/{school_b}/deactivate",
    "/platform/schools/{school_b}/reactivate",
    "/platform/grading/queues/grading/failed/some-job/requeue",
    "/platform/grading/queues/grading/failed/some-job/delete",
]


def submission(school: School, user: User, verdict: str = "passed", **changes) -> Submission:
    fields = dict(
        tenant_id=school.id,
        user_id=user.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log('secret student code')",
        entrypoint="main.js",
        status="graded",
        verdict=verdict,
        gradable=True,
        graded_at=utc_now(),
    )
    fields.update(changes)
    return Submission(**fields)


@pytest.fixture
def school_b(db, make_user) -> School:
    """A second school with two users and three submissions, one of them failed."""
    school = School(slug="school-b", name="School B")
    db.add(school)
    db.commit()
    one = make_user("one@school-b.example.org", PASSWORD, "B one", school=school)
    make_user("admin@school-b.example.org", PASSWORD, "B admin", Role.SCHOOL_ADMIN, school)
    db.add_all(
        [
            submission(school, one),
            submission(school, one, "failed"),
            submission(school, one, None, status="queued", graded_at=None),
        ]
    )
    db.commit()
    return school


@pytest.fixture
def platform_admin(db, make_user, default_school, school_b) -> User:
    """The operator, at the default school, which also has a student and a submission."""
    admin = make_user(PLATFORM_EMAIL, PASSWORD, "Ops", Role.PLATFORM_ADMIN)
    student = make_user("student@example.org", PASSWORD, "A student")
    db.add(submission(default_school, student))
    db.commit()
    return admin


@pytest.fixture
def platform_browser(app, platform_admin) -> Browser:
    browser = browser_at(app, "localhost")
    assert browser.log_in(PLATFORM_EMAIL, PASSWORD).status_code == 302
    return browser


def logged_in(app, make_user, role: Role) -> Browser:
    make_user(f"{role.value}@example.org", PASSWORD, role.value, role)
    browser = browser_at(app, "localhost")
    assert browser.log_in(f"{role.value}@example.org", PASSWORD).status_code == 302
    return browser


# --- who may open the pages --------------------------------------------------------------


@pytest.mark.parametrize("path", GET_ROUTES)
def test_guests_are_sent_to_log_in(app, school_b, path):
    response = app.test_client().get(path.format(school_b=school_b.id))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR, Role.SCHOOL_ADMIN])
def test_everyone_but_a_platform_admin_gets_403(app, db, make_user, school_b, role):
    browser = logged_in(app, make_user, role)
    for path in GET_ROUTES:
        response = browser.client.get(path.format(school_b=school_b.id))
        assert response.status_code == 403, path
        assert "School B" not in response.get_data(as_text=True)
    token = browser.csrf_token("/")
    for path in POST_ROUTES:
        data = {"csrf_token": token, "slug": "new", "name": "New"}
        response = browser.client.post(path.format(school_b=school_b.id), data=data)
        assert response.status_code == 403, path
    assert db.scalar(select(School).where(School.slug == "new")) is None
    assert db.get(School, school_b.id).is_active


def test_a_school_admin_of_school_b_sees_no_platform_link_and_no_rows(
    app, school_b, platform_admin
):
    browser = browser_at(app, "school-b.localhost")
    assert browser.log_in("admin@school-b.example.org", PASSWORD).status_code == 302
    home = browser.client.get("/").get_data(as_text=True)
    assert "/platform/" not in home
    for path in GET_ROUTES:
        response = browser.client.get(path.format(school_b=platform_admin.tenant_id))
        assert response.status_code == 403
        body = response.get_data(as_text=True)
        assert "Default School" not in body and PLATFORM_EMAIL not in body


def test_the_platform_link_is_shown_to_platform_admins(platform_browser):
    home = platform_browser.client.get("/").get_data(as_text=True)
    assert 'href="/platform/"' in home


# --- the cross-school session ------------------------------------------------------------


def test_the_cross_school_session_is_for_platform_admins_only(app, school_b, platform_admin):
    with app.test_request_context(base_url="http://school-b.localhost"):
        current_school()
        g.user = get_db().scalars(select(User).where(User.role == "school_admin")).one()
        with pytest.raises(PermissionError):
            open_cross_school_session()
        g.user = None
        with pytest.raises(PermissionError):
            open_cross_school_session()
    with app.app_context(), pytest.raises(PermissionError):
        open_cross_school_session()


def test_the_cross_school_session_reads_every_school_and_writes_nothing(
    app, db, school_b, platform_admin
):
    with app.test_request_context(base_url="http://localhost"):
        current_school()
        g.user = platform_admin
        cross = open_cross_school_session()
        assert len(cross.scalars(select(Submission)).all()) == 4
        # The request's own session stays scoped to its school meanwhile.
        assert {u.tenant_id for u in get_db().scalars(select(User))} == {platform_admin.tenant_id}
        user = cross.scalars(select(User).where(User.email == "one@school-b.example.org")).one()
        user.display_name = "changed"
        with pytest.raises(PermissionError):
            cross.flush()
    db.expire_all()
    assert db.scalars(select(User.display_name).where(User.tenant_id == school_b.id)).all()
    assert "changed" not in db.scalars(select(User.display_name)).all()


# --- schools -----------------------------------------------------------------------------


def row_of(page: str, slug: str) -> str:
    match = re.search(rf'<tr id="school-{slug}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {slug}"
    return re.sub(r"\s+", " ", match.group(1))


def test_the_overview_counts_users_and_submissions_of_every_school(platform_browser, school_b):
    response = platform_browser.client.get("/platform/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    default_row, b_row = row_of(page, "default"), row_of(page, "school-b")
    # default: the platform admin and a student, one submission; school-b: 2 users, 3.
    assert re.search(r'<td class="number">2</td> <td class="number">1</td>', default_row)
    assert re.search(r'<td class="number">2</td> <td class="number">3</td>', b_row)
    assert "http://school-b.localhost" in b_row and "active" in b_row
    assert "(your school)" in default_row and "Deactivate" in b_row


def test_a_school_admins_own_pages_stay_scoped_after_a_platform_view(
    app, platform_browser, school_b
):
    assert platform_browser.client.get("/platform/").status_code == 200
    admin = browser_at(app, "school-b.localhost")
    assert admin.log_in("admin@school-b.example.org", PASSWORD).status_code == 302
    profile = admin.client.get("/profile")
    assert profile.status_code == 200
    with app.test_request_context(base_url="http://school-b.localhost"):
        current_school()
        assert {s.tenant_id for s in get_db().scalars(select(Submission))} == {school_b.id}


def test_a_platform_admin_creates_a_school(platform_browser, db, platform_admin):
    response = platform_browser.post_form(
        "/platform/schools/new",
        {"slug": "school-c", "name": "School C", "domain": "Courses.School-C.edu"},
    )
    assert response.status_code == 302
    school = db.scalars(select(School).where(School.slug == "school-c")).one()
    assert (school.name, school.domain) == ("School C", "courses.school-c.edu")
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "school.created")).one()
    assert (audit.tenant_id, audit.actor_id) == (platform_admin.tenant_id, platform_admin.id)
    page = platform_browser.client.get("/platform/").get_data(as_text=True)
    assert "School school-c created: http://courses.school-c.edu" in page
    assert "school-c" in row_of(page, "school-c")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slug": "School C", "name": "C"}, "lower-case letters"),
        ({"slug": "admin", "name": "C"}, "reserved for the platform"),
        ({"slug": "school-b", "name": "C"}, "already exists"),
        ({"slug": "school-c", "name": ""}, "needs a name"),
        ({"slug": "school-c", "name": "C", "domain": "https://c.edu/x"}, "host name"),
    ],
)
def test_a_refused_school_keeps_what_was_typed(platform_browser, db, fields, message):
    data = {"slug": "", "name": "", "domain": "", **fields}
    response = platform_browser.post_form("/platform/schools/new", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    for value in data.values():
        if value:
            assert f'value="{value}"' in page
    assert len(db.scalars(select(School)).all()) == 2


def test_a_domain_another_school_holds_is_refused(platform_browser, db, school_b):
    school_b.domain = "b.example.edu"
    db.commit()
    response = platform_browser.post_form(
        "/platform/schools/new", {"slug": "c", "name": "C", "domain": "b.example.edu"}
    )
    assert response.status_code == 422
    assert "already belongs to another school" in response.get_data(as_text=True)


def test_a_platform_admin_edits_a_schools_name_and_domain(platform_browser, db, school_b):
    path = f"/platform/schools/{school_b.id}/edit"
    form = platform_browser.client.get(path).get_data(as_text=True)
    assert 'value="School B"' in form
    response = platform_browser.post_form(path, {"name": "School Bee", "domain": "bee.edu"})
    assert response.status_code == 302
    db.expire_all()
    assert (school_b.name, school_b.domain, school_b.slug) == ("School Bee", "bee.edu", "school-b")
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "school.updated")).one()
    assert audit.detail == {"name": ["School B", "School Bee"], "domain": [None, "bee.edu"]}

    response = platform_browser.post_form(path, {"name": "B", "domain": "not a host"})
    assert response.status_code == 422
    assert 'value="not a host"' in response.get_data(as_text=True)
    db.expire_all()
    assert school_b.domain == "bee.edu"


def test_an_unknown_school_is_404(platform_browser):
    assert platform_browser.client.get("/platform/schools/9999/edit").status_code == 404


def test_a_deactivated_school_answers_404_until_it_is_reactivated(
    app, platform_browser, db, school_b
):
    b_visitor = browser_at(app, "school-b.localhost")
    assert b_visitor.client.get("/").status_code == 200
    response = platform_browser.post_form(
        f"/platform/schools/{school_b.id}/deactivate", {}, form_page="/platform/"
    )
    assert response.status_code == 302
    assert b_visitor.client.get("/").status_code == 404
    assert "deactivated" in row_of(
        platform_browser.client.get("/platform/").get_data(True), "school-b"
    )
    response = platform_browser.post_form(
        f"/platform/schools/{school_b.id}/reactivate", {}, form_page="/platform/"
    )
    assert response.status_code == 302
    assert b_visitor.client.get("/").status_code == 200
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["school.deactivated", "school.reactivated"]


def test_a_platform_admin_cannot_deactivate_their_own_school(platform_browser, db, default_school):
    response = platform_browser.post_form(
        f"/platform/schools/{default_school.id}/deactivate", {}, form_page="/platform/"
    )
    assert response.status_code == 409
    assert "cannot deactivate the school you are signed in at" in response.get_data(as_text=True)
    db.expire_all()
    assert default_school.is_active


# --- charts ------------------------------------------------------------------------------


def test_the_activity_charts_are_images_with_text_and_a_table(platform_browser, db, school_b):
    old = db.scalars(select(Submission).where(Submission.verdict == "failed")).one()
    old.created_at = utc_now() - timedelta(days=3)
    db.commit()
    page = platform_browser.client.get("/platform/").get_data(as_text=True)
    assert re.search(r'<img[^>]+submissions-per-day.svg[^>]+alt="4 submissions from', page)
    assert re.search(r'<img[^>]+pass-rate.svg[^>]+alt="[^"]*: 67% of 3 passed', page)
    today = utc_now().date().isoformat()
    three_days_ago = (utc_now() - timedelta(days=3)).date().isoformat()
    assert re.search(rf"{today}</time></th><td class=\"number\">3</td>", page)
    assert re.search(rf"{three_days_ago}</time></th><td class=\"number\">1</td>", page)
    # Pass rate: 2 passed of 3 graded; the queued submission is not graded yet.
    assert re.search(r'<td class="number">2</td><td class="number">3</td>', page)
    for path in ("/platform/charts/submissions-per-day.svg", "/platform/charts/pass-rate.svg"):
        response = platform_browser.client.get(path)
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'"
        svg = response.get_data(as_text=True)
        assert svg.startswith("<svg") and "<script" not in svg and "secret" not in svg


def test_infrastructure_failures_do_not_count_against_a_lab(platform_browser, db, school_b):
    user = db.scalars(select(User).where(User.tenant_id == school_b.id)).first()
    db.add(submission(school_b, user, "infra_error", gradable=False))
    db.commit()
    svg = platform_browser.client.get("/platform/charts/pass-rate.svg").get_data(as_text=True)
    assert "67% (2/3)" in svg


def test_a_phone_gets_the_activity_charts_drawn_at_its_width(platform_browser, school_b):
    # Drawn 640 wide and shown at a phone's 360, 12 px text would be under 7 px: the page
    # offers a phone the narrow layout, as wide as it is shown, labels above their bars.
    page = platform_browser.client.get("/platform/").get_data(as_text=True)
    for path in ("/platform/charts/submissions-per-day.svg", "/platform/charts/pass-rate.svg"):
        narrow_url = f"{path}?layout=narrow"
        assert f'<source media="(max-width: 40rem)" srcset="{narrow_url}">' in page
        svg = platform_browser.client.get(narrow_url).get_data(as_text=True)
        assert 'width="360"' in svg and 'font-size="12"' in svg
        for x, width in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg):
            assert float(x) + float(width) <= 360
    svg = platform_browser.client.get("/platform/charts/pass-rate.svg?layout=narrow")
    assert '<text x="0"' in svg.get_data(as_text=True) and "67% (2/3)" in svg.get_data(as_text=True)
