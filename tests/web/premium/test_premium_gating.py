"""Premium labs: locked for students without premium, open for those with it and staff."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from portal.models import Role, Submission
from portal.premium.access import premium_required
from portal.premium.entitlements import grant_to_user
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.premium.premium_support import count

LAB = "/courses/node-workers/labs/unblock-the-loop"
CODE = "const { Worker } = require('node:worker_threads');\n"


def give_premium(db, school, user) -> None:
    grant_to_user(db, school, None, user.email, None, "test")


def submit(browser, path: str = LAB):
    token = browser.csrf_token("/courses/node-workers/labs/thread-lab")
    return browser.client.post(
        path, data={"code": CODE, "csrf_token": token}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("lab_id", ["unblock-the-loop", "spawn-vs-exec"])
def test_a_premium_lab_sends_a_student_without_premium_to_the_upsell_page(pupil_browser, lab_id):
    response = pupil_browser.client.get(f"/courses/node-workers/labs/{lab_id}")

    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/premium"
    query = parse_qs(target.query)
    assert query == {"course": ["node-workers"], "next": [f"/courses/node-workers/labs/{lab_id}"]}
    upsell = pupil_browser.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Unblock the Loop" in upsell and "Spawn vs Exec" in upsell


def test_a_json_caller_gets_403_with_the_upsell_url(pupil_browser):
    response = pupil_browser.client.get(LAB, headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert response.get_json()["upsell"].startswith("/premium?course=node-workers")


def test_a_submission_to_a_premium_lab_is_refused_and_nothing_is_stored_or_queued(
    pupil_browser, db, grading_queue
):
    response = submit(pupil_browser)

    assert response.status_code == 403
    assert "needs premium" in response.get_data(as_text=True)
    assert count(db, Submission) == 0
    assert grading_queue.count == 0


def test_with_premium_the_lab_opens_and_takes_submissions(
    pupil_browser, pupil, db, default_school, grading_queue
):
    give_premium(db, default_school, pupil)

    assert pupil_browser.client.get(LAB).status_code == 200
    response = submit(pupil_browser)
    assert response.status_code == 302
    assert count(db, Submission) == 1
    assert grading_queue.count == 1


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.SCHOOL_ADMIN])
def test_staff_open_premium_labs(app, make_user, make_browser, role):
    staff = make_user(f"{role.value}@example.org", PASSWORD, "Staff", role=role)
    browser = log_in_as(make_browser, app, staff)
    assert browser.client.get(LAB).status_code == 200


def test_the_step_shows_a_locked_card_with_a_link_to_the_upsell_page(pupil_browser):
    page = pupil_browser.client.get("/courses/node-workers/steps/worker-threads")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="lab-card premium-locked"' in html
    assert f'href="{LAB}"' not in html
    assert "/premium?course=node-workers" in html
    assert "Unlock the lab “Unblock the Loop” with premium" in html


def test_with_premium_the_step_links_to_the_lab(pupil_browser, pupil, db, default_school):
    give_premium(db, default_school, pupil)
    html = pupil_browser.client.get("/courses/node-workers/steps/worker-threads").get_data(
        as_text=True
    )
    assert f'href="{LAB}"' in html
    assert "premium-locked" not in html


def test_the_course_page_and_the_catalogue_mark_premium_items(pupil_browser):
    course = pupil_browser.client.get("/courses/node-workers").get_data(as_text=True)
    labs = course[course.index("<h2>Labs</h2>") :]
    for title in ("Unblock the Loop", "Spawn"):
        line = labs[labs.index(title) :].split("</li>", 1)[0]
        assert "Premium" in line
    thread_lab = labs[labs.index("Thread Lab") :].split("</li>", 1)[0]
    assert "Premium" not in thread_lab
    assert "Premium" in pupil_browser.client.get("/").get_data(as_text=True)


def test_a_premium_lab_that_does_not_exist_is_still_404(pupil_browser):
    assert pupil_browser.client.get("/courses/node-workers/labs/nope").status_code == 404


# --- premium_required, for whole premium features ----------------------------------------


@pytest.fixture
def feature_app(app):
    @premium_required
    def consult(course_id: str):
        return f"consulting on {course_id}"

    app.add_url_rule("/courses/<course_id>/consult", "consult", consult)
    return app


def test_premium_required_sends_a_guest_to_log_in(feature_app, make_browser):
    response = make_browser(feature_app).client.get("/courses/node-workers/consult")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_premium_required_sends_a_student_without_premium_to_the_upsell_page(
    feature_app, make_browser, pupil
):
    browser = log_in_as(make_browser, feature_app, pupil)
    response = browser.client.get("/courses/node-workers/consult")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/premium?course=node-workers")
    json = browser.client.get(
        "/courses/node-workers/consult", headers={"Accept": "application/json"}
    )
    assert json.status_code == 403 and "upsell" in json.get_json()


def test_premium_required_lets_a_student_with_premium_in(
    feature_app, make_browser, pupil, db, default_school
):
    give_premium(db, default_school, pupil)
    browser = log_in_as(make_browser, feature_app, pupil)
    response = browser.client.get("/courses/node-workers/consult")
    assert response.get_data(as_text=True) == "consulting on node-workers"
