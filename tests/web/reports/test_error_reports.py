""" "Found an error?": filing reports from a step, and the staff's list of them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, ErrorReport
from tests.web.admin_support import add_submission

STEP = "/courses/node-workers/steps/event-loop"
REPORT = f"{STEP}/report"
MESSAGE = "The second diagram shows the wrong thread."


def _report(browser, message: str = MESSAGE, **extra):
    return browser.post_form(REPORT, {"message": message, **extra})


def test_every_step_offers_the_form_to_users_and_a_log_in_link_to_guests(browsers):
    page = browsers["student"].client.get(STEP).get_data(as_text=True)
    assert "Found an error?" in page and f'href="{REPORT}"' in page
    guest = browsers["guest"].client.get(STEP).get_data(as_text=True)
    assert "Found an error?" in guest and "/auth/login?next=" in guest
    assert browsers["guest"].client.get(REPORT).status_code == 302


def test_a_report_is_tied_to_the_course_and_step(browsers, db, people):
    response = _report(browsers["student"])
    assert response.status_code == 302 and response.headers["Location"] == STEP
    report = db.scalars(select(ErrorReport)).one()
    assert (report.course_id, report.step_id, report.status) == (
        "node-workers",
        "event-loop",
        "open",
    )
    assert report.user_id == people["student"].id and report.message == MESSAGE
    assert report.submission_id is None


def test_a_report_may_name_the_reporters_own_submission(browsers, db, people):
    own = add_submission(db, people["student"])
    form = browsers["student"].client.get(f"{REPORT}?submission={own.id}").get_data(as_text=True)
    assert f"submission #{own.id}" in form
    response = browsers["student"].post_form(
        REPORT, {"message": MESSAGE, "submission": str(own.id)}, f"{REPORT}?submission={own.id}"
    )
    assert response.status_code == 302
    assert db.scalars(select(ErrorReport)).one().submission_id == own.id


def test_someone_elses_or_another_schools_submission_is_not_found(
    browsers, db, people, other_school
):
    theirs = add_submission(db, people["instructor"])
    _, stranger = other_school
    foreign = add_submission(db, stranger)
    for submission in (theirs, foreign):
        assert (
            browsers["student"].client.get(f"{REPORT}?submission={submission.id}").status_code
            == 404
        )
        response = _report(browsers["student"], submission=str(submission.id))
        assert response.status_code == 404
    assert db.scalars(select(ErrorReport)).all() == []


@pytest.mark.parametrize("message", ["too short", "x" * 2001, "          "])
def test_a_message_is_10_to_2000_characters(browsers, db, message):
    response = _report(browsers["student"], message)
    assert response.status_code == 422
    assert "10 to 2000 characters" in response.get_data(as_text=True)
    assert db.scalars(select(ErrorReport)).all() == []


def test_unknown_steps_are_not_found(browsers):
    assert (
        browsers["student"].client.get("/courses/node-workers/steps/nope/report").status_code == 404
    )


def test_at_most_ten_reports_an_hour(browsers, db):
    for number in range(10):
        assert _report(browsers["student"], f"{MESSAGE} ({number})").status_code == 302
    response = _report(browsers["student"], "One report too many, sorry.")
    assert response.status_code == 429
    assert "Try again later" in response.get_data(as_text=True)
    assert "One report too many" in response.get_data(as_text=True)
    assert len(db.scalars(select(ErrorReport)).all()) == 10


def test_staff_see_reports_open_first_and_resolve_them(browsers, db, people):
    _report(browsers["student"], "First report: a typo in paragraph two.")
    _report(browsers["student"], "Second report: a wrong figure <b>here</b>.")
    instructor = browsers["instructor"]
    page = instructor.client.get("/admin/reports").get_data(as_text=True)
    assert page.index("Second report") < page.index("First report")
    assert "wrong figure &lt;b&gt;here&lt;/b&gt;" in page
    assert f'href="{STEP}"' in page and "student@example.org" in page

    first = db.scalars(select(ErrorReport).order_by(ErrorReport.id)).first()
    response = instructor.post_form(f"/admin/reports/{first.id}/resolve", {}, "/admin/reports")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(ErrorReport, first.id).status == "resolved"
    assert db.get(ErrorReport, first.id).resolved_by_id == people["instructor"].id
    page = instructor.client.get("/admin/reports").get_data(as_text=True)
    # Open reports come first: the resolved one moved after the other.
    assert page.index("Second report") < page.index("First report")
    assert re.search(r"resolved by Instructor", page)

    response = instructor.post_form(f"/admin/reports/{first.id}/reopen", {}, "/admin/reports")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(ErrorReport, first.id).status == "open"
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.target == f"error_report:{first.id}")
    ).all()
    assert actions == ["error_report.resolved", "error_report.reopened"]


def test_students_cannot_list_or_resolve_reports(browsers, db):
    _report(browsers["student"])
    report = db.scalars(select(ErrorReport)).one()
    assert browsers["student"].client.get("/admin/reports").status_code == 403
    response = browsers["student"].post_form(f"/admin/reports/{report.id}/resolve", {}, STEP)
    assert response.status_code == 403


def test_another_schools_report_is_not_found(db, browsers, other_school):
    school, stranger = other_school
    db.add(
        ErrorReport(
            tenant_id=school.id,
            user_id=stranger.id,
            course_id="node-workers",
            step_id="event-loop",
            message="School B's private report.",
        )
    )
    db.commit()
    theirs = db.scalars(select(ErrorReport)).one()
    admin = browsers["school_admin"]
    assert "School B's private report" not in admin.client.get("/admin/reports").get_data(
        as_text=True
    )
    response = admin.post_form(f"/admin/reports/{theirs.id}/resolve", {}, "/admin/reports")
    assert response.status_code == 404
    db.expire_all()
    assert db.get(ErrorReport, theirs.id).status == "open"


def test_the_lab_page_offers_a_report_about_the_submission_on_show(browsers, db, people):
    own = add_submission(db, people["student"])
    page = browsers["student"].client.get(
        f"/courses/node-workers/labs/thread-lab?submission={own.id}"
    )
    assert page.status_code == 200
    assert re.search(
        rf'href="/courses/node-workers/steps/[\w-]+/report\?submission={own.id}"',
        page.get_data(as_text=True),
    )
