"""Every route, with school B's ids, as school A's student and school A's admin.

Nothing of school B may show (its marker never appears) and nothing of it may change (a
snapshot of every row it owns is the same after the sweep). An id of school B answers
404, exactly like an id that does not exist, so ids of other schools cannot be probed.

The platform admin's pages (`/platform/...`) are left out on purpose: they show every
school by design, and `platform_admin/test_platform_admin.py` checks who may reach them.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import Rule

from tests.web.conftest import Browser
from tests.web.two_schools import B_MARKER, SchoolData, logged_in_at, snapshot

HOST_A = "school-a.localhost"
# What the sweep puts into each URL parameter: content ids are shared by every school;
# object ids are school B's. A new route with a parameter not named here fails the sweep.
CONTENT_PARAMETERS = {
    "course_id": "node-workers",
    "step_id": "thread-lab",
    "lab_id": "thread-lab",
    "question_id": "q1",
}
CROSS_SCHOOL_BLUEPRINTS = ("platform_admin.",)
# Answers that a route gives without its input, whoever asks.
REFUSED_WITHOUT_INPUT = {"auth.reset_password": (400,)}
# A form that every POST route could plausibly accept, so a 404 comes from the id.
PLAUSIBLE_FORM = {
    "role": "instructor",
    "reason": "sweep",
    "message": "There is a typo in this step, in the second paragraph.",
    "name": "Renamed by the sweep",
    "colour": "#123456",
    "policy": "open",
    "code": "AAAA-BBBB-CCCC",
    "email": "student@school-b.example.org",
    "count": "1",
    "uses": "1",
}


def _school_routes(app: Flask, method: str) -> list[Rule]:
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if method in rule.methods
        and rule.endpoint != "static"
        and not rule.endpoint.startswith(CROSS_SCHOOL_BLUEPRINTS)
    ]
    # Logging out comes last: it ends the session the other requests need.
    return sorted(rules, key=lambda rule: rule.endpoint == "auth.logout")


def _path(rule: Rule, object_ids: dict[str, int]) -> str:
    unknown = rule.arguments - set(CONTENT_PARAMETERS) - set(object_ids)
    assert not unknown, f"the sweep does not know what to put in {rule.rule}: {unknown}"
    values = {name: CONTENT_PARAMETERS.get(name, object_ids.get(name)) for name in rule.arguments}
    return rule.build(values)[1]


def _sweep_get(app: Flask, browser: Browser, own: SchoolData, other: SchoolData) -> list[str]:
    swept = []
    for rule in _school_routes(app, "GET"):
        has_object = bool(rule.arguments & set(other.object_ids()))
        ids = f"?submission={other.submission.id}&user={other.user.id}&run={other.run.id}"
        for query in ("", ids):
            url = _path(rule, other.object_ids()) + query
            response = browser.client.get(url)
            # Case-insensitive: school B's emails and slug count as its data too.
            body = response.get_data().decode("utf-8", "replace")  # the favicon is binary
            assert B_MARKER.lower() not in body.lower(), url
            status = response.status_code
            if status == 403:
                # Refused for the role, not for the id: the same page with the user's
                # own school's ids is refused too, so the 403 tells nothing about B.
                own_url = _path(rule, own.object_ids()) + query
                assert browser.client.get(own_url).status_code == 403, url
                continue
            expected = (404,) if has_object else (200, 404)
            expected = REFUSED_WITHOUT_INPUT.get(rule.endpoint, expected)
            assert status in expected, (url, status)
        swept.append(rule.endpoint)
    return swept


def test_a_student_sees_nothing_of_another_school_on_any_page(app, school_a, school_b):
    student = logged_in_at(app, HOST_A, school_a.user)
    swept = _sweep_get(app, student, school_a, school_b)
    swept_for_students = {
        "labs.submission_status",
        "labs.submission_events",
        "labs.run_status",
        "gamification.profile",
    }
    assert swept_for_students | {"premium.upsell"} <= set(swept)


def test_an_admin_sees_nothing_of_another_school_on_any_page(app, school_a, school_b):
    admin = logged_in_at(app, HOST_A, school_a.admin)
    swept = _sweep_get(app, admin, school_a, school_b)
    assert {"admin.submission_page", "admin.user_page", "premium.codes_page"} <= set(swept)


def test_no_post_route_changes_anything_of_another_school(app, db, school_a, school_b):
    before = snapshot(db, school_b.school)
    admin = logged_in_at(app, HOST_A, school_a.admin)
    object_ids = school_b.object_ids()
    for rule in _school_routes(app, "POST"):
        url = _path(rule, object_ids)
        token = admin.csrf_token("/auth/login")
        response = admin.client.post(url, data={**PLAUSIBLE_FORM, "csrf_token": token})
        # A form may echo the email typed into it; anything else of B is a leak.
        body = response.get_data(as_text=True).replace(PLAUSIBLE_FORM["email"], "")
        assert B_MARKER.lower() not in body.lower(), url
        if rule.arguments & set(object_ids):
            assert response.status_code == 404, (url, response.status_code)
    assert snapshot(db, school_b.school) == before


def test_the_sweep_ids_work_for_their_own_school(app, school_a):
    # The 404s above are about the school, not a broken URL: school A's ids answer.
    own = school_a.submission.id
    student = logged_in_at(app, HOST_A, school_a.user)
    assert student.client.get(f"/submissions/{own}/status").status_code == 200
    assert student.client.get(f"/submissions/{own}/events").status_code == 200
    assert student.client.get(f"/submissions/{own}/chart.svg").status_code == 200
    assert student.client.get(f"/runs/{school_a.run.id}/status").status_code == 200
    own_run = f"/courses/node-workers/labs/thread-lab?run={school_a.run.id}"
    assert "SCHOOL-A run output" in student.client.get(own_run).get_data(as_text=True)
    lab = f"/courses/node-workers/labs/thread-lab?submission={own}"
    assert "SCHOOL-A code" in student.client.get(lab).get_data(as_text=True)
    admin = logged_in_at(app, HOST_A, school_a.admin)
    for path in (f"/admin/submissions/{own}", f"/admin/users/{school_a.user.id}"):
        assert "SCHOOL-A" in admin.client.get(path).get_data(as_text=True), path
