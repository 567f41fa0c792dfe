"""Who may open which page of the dashboard, and what its home page counts."""

from __future__ import annotations

import pytest

from portal.auth.service import register_user
from portal.models import ErrorReport, GroupMember, School, StudentGroup
from tests.web.admin_support import add_submission
from tests.web.conftest import PASSWORD

# The shared fixtures, under the names the tests ask for.

STAFF_PAGES = [
    "/admin/",
    "/admin/progress",
    "/admin/groups",
    "/admin/submissions",
    "/admin/reports",
    "/admin/exports/grades.csv",
    "/admin/exports/progress.csv",
]
SCHOOL_ADMIN_PAGES = ["/admin/users", "/admin/settings"]
EXPECTED = {
    "student": 403,
    "instructor": 200,
    "school_admin": 200,
    "platform_admin": 200,
}


@pytest.mark.parametrize("role", ["student", "instructor", "school_admin", "platform_admin"])
def test_staff_pages_are_for_staff_and_settings_for_school_admins(browsers, people, role):
    student_page = f"/admin/progress/{people['student'].id}"
    for path in [*STAFF_PAGES, student_page]:
        assert browsers[role].client.get(path).status_code == EXPECTED[role], path
    admin_only = [*SCHOOL_ADMIN_PAGES, f"/admin/users/{people['student'].id}"]
    for path in admin_only:
        expected = 200 if role in ("school_admin", "platform_admin") else 403
        assert browsers[role].client.get(path).status_code == expected, path


def test_a_guest_is_sent_to_log_in(browsers):
    response = browsers["guest"].client.get("/admin/users")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_menu_shows_an_instructor_no_settings(browsers):
    page = browsers["instructor"].client.get("/admin/").get_data(as_text=True)
    assert "Submissions" in page and "Error reports" in page
    assert "/admin/settings" not in page and "/admin/users" not in page
    admin_page = browsers["school_admin"].client.get("/admin/").get_data(as_text=True)
    assert "/admin/settings" in admin_page and "/admin/users" in admin_page


def test_students_see_no_dashboard_link(browsers):
    assert "/admin/" not in browsers["student"].client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in browsers["instructor"].client.get("/").get_data(as_text=True)


def test_the_home_page_counts_the_school(app, db, browsers, people, make_user):
    make_user("second@example.org", PASSWORD, "Second")
    add_submission(db, people["student"], verdict="passed")
    add_submission(db, people["student"], verdict="failed", score=0.25)
    db.add(
        ErrorReport(
            tenant_id=people["student"].tenant_id,
            user_id=people["student"].id,
            course_id="node-workers",
            step_id="event-loop",
            message="A typo in the second paragraph.",
        )
    )
    db.commit()
    page = browsers["instructor"].client.get("/admin/").get_data(as_text=True)
    assert '<span class="figure">2</span> students' in page
    assert '<span class="figure">2</span> submissions today' in page
    assert '<span class="figure">50%</span> pass rate' in page
    assert '<span class="figure">1</span> open error reports' in page


def test_every_dashboard_page_with_another_schools_ids_shows_nothing_of_it(
    app, db, browsers, people
):
    # School B's rows are marked, so a page that leaked any of them would show the marker.
    school = School(
        slug="school-b",
        name="MARKER-B school",
        logo=b"\x89PNG\r\n\x1a\nMARKER-B",
        logo_type="image/png",
    )
    db.add(school)
    db.commit()
    with app.app_context():
        stranger = register_user(
            db,
            school,
            email="marker-b@school-b.example.org",
            display_name="MARKER-B",
            password=PASSWORD,
        )
    submission = add_submission(db, stranger, code="// MARKER-B code")
    db.add(
        ErrorReport(
            tenant_id=school.id,
            user_id=stranger.id,
            course_id="node-workers",
            step_id="event-loop",
            message="MARKER-B report",
            submission_id=submission.id,
        )
    )
    group = StudentGroup(tenant_id=school.id, name="MARKER-B group")
    db.add(group)
    db.flush()
    db.add(GroupMember(tenant_id=school.id, group_id=group.id, user_id=stranger.id))
    db.commit()
    ids = {"user_id": stranger.id, "submission_id": submission.id, "group_id": group.id}
    admin = browsers["school_admin"].client
    swept = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("admin.", "branding.")) or "GET" not in rule.methods:
            continue
        path = rule.build({name: ids[name] for name in rule.arguments})[1]
        response = admin.get(path)
        assert "marker-b" not in response.get_data(as_text=True).lower(), path
        # The default school has no logo of its own: school B's is not served instead.
        not_here = rule.arguments or rule.endpoint == "branding.logo"
        assert response.status_code == (404 if not_here else 200), path
        swept += 1
    assert swept >= 10
