"""The admin's premium pages: licence, grants, the premium text and codes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Entitlement, PremiumCode, Role, User, utc_now
from portal.premium import codes
from portal.premium.entitlements import grant_to_user, has_premium
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.premium.premium_support import count

OVERVIEW = "/admin/premium"
CODES = "/admin/premium/codes"
TOMORROW = (utc_now() + timedelta(days=1)).date().isoformat()
YESTERDAY = (utc_now() - timedelta(days=1)).date().isoformat()


def post(browser, path: str, data: dict, page: str = OVERVIEW):
    return browser.post_form(path, data, form_page=page)


def actions(db) -> list[str]:
    db.expire_all()
    return [event.action for event in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- who may come in ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [OVERVIEW, CODES, "/admin/premium/codes.csv"])
@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR])
def test_students_and_instructors_get_403(app, make_user, make_browser, role, path):
    user = make_user(f"{role.value}@example.org", PASSWORD, "Someone", role=role)
    assert log_in_as(make_browser, app, user).client.get(path).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/admin/premium/licence",
        "/admin/premium/licence/off",
        "/admin/premium/grants",
        "/admin/premium/grants/1/revoke",
        "/admin/premium/info",
        CODES,
        "/admin/premium/codes/1/disable",
    ],
)
def test_students_cannot_post_to_the_admin_actions(pupil_browser, path, db):
    response = pupil_browser.post_form(path, {"reason": "x", "count": "5"}, form_page="/premium")
    assert response.status_code == 403
    assert count(db, Entitlement) == 0 and count(db, PremiumCode) == 0


def test_a_guest_is_sent_to_log_in(browser):
    response = browser.client.get(OVERVIEW)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_admin_sees_the_pages_and_the_nav_link(admin_browser):
    page = admin_browser.client.get(OVERVIEW)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "School-wide licence" in html and "Grant premium to a student" in html
    assert 'href="/admin/premium"' in admin_browser.client.get("/").get_data(as_text=True)
    assert admin_browser.client.get(CODES).status_code == 200


def test_a_student_has_no_admin_nav_link(pupil_browser):
    assert 'href="/admin/premium"' not in pupil_browser.client.get("/").get_data(as_text=True)


# --- licence -----------------------------------------------------------------------------


def test_the_licence_turns_on_until_a_date_and_off(admin_browser, admin, pupil, db):
    response = post(
        admin_browser,
        "/admin/premium/licence",
        {"course": "", "until": TOMORROW, "reason": "pilot term"},
    )
    assert response.status_code == 302
    licence = db.scalars(select(Entitlement)).one()
    assert (licence.user_id, licence.source, licence.granted_by_id) == (None, "licence", admin.id)
    assert licence.until.date().isoformat() == TOMORROW
    assert has_premium(db, pupil, "node-workers")
    html = admin_browser.client.get(OVERVIEW).get_data(as_text=True)
    assert "Everyone at the school" in html and "pilot term" in html

    assert post(admin_browser, "/admin/premium/licence/off", {"reason": "over"}).status_code == 302
    db.expire_all()
    assert not has_premium(db, pupil, "node-workers")
    assert actions(db) == ["premium.licence_on", "premium.licence_off"]


def test_the_licence_for_good_has_no_end(admin_browser, db):
    post(admin_browser, "/admin/premium/licence", {"course": "", "until": "", "reason": "paid"})
    assert db.scalars(select(Entitlement)).one().until is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"course": "", "until": YESTERDAY, "reason": "late"}, "is in the past"),
        ({"course": "", "until": "31/12/2030", "reason": "x"}, "Not a valid date value"),
        ({"course": "", "until": "", "reason": ""}, "Say why, for the record."),
        ({"course": "no-such-course", "until": "", "reason": "x"}, "Not a valid choice"),
    ],
)
def test_a_bad_licence_form_is_422_and_keeps_what_was_typed(admin_browser, db, data, message):
    response = post(admin_browser, "/admin/premium/licence", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if data["reason"]:
        assert f'value="{data["reason"]}"' in html
    assert count(db, Entitlement) == 0


# --- grants ------------------------------------------------------------------------------


def test_a_grant_to_a_student_by_email_with_until_and_reason(admin_browser, admin, pupil, db):
    response = post(
        admin_browser,
        "/admin/premium/grants",
        {
            "email": "PUPIL@example.org ",
            "course": "node-workers",
            "until": TOMORROW,
            "reason": "prize",
        },
    )
    assert response.status_code == 302
    grant = db.scalars(select(Entitlement)).one()
    assert (grant.user_id, grant.course_id, grant.reason, grant.granted_by_id) == (
        pupil.id,
        "node-workers",
        "prize",
        admin.id,
    )
    assert has_premium(db, pupil, "node-workers")
    event = db.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id, event.target) == (
        "premium.granted",
        admin.id,
        f"user:{pupil.id}",
    )
    html = admin_browser.client.get(OVERVIEW).get_data(as_text=True)
    assert "Pupil &lt;pupil@example.org&gt;" in html and "Head Admin" in html


def test_a_grant_to_an_unknown_email_is_422(admin_browser, db, second_school):
    response = post(
        admin_browser,
        "/admin/premium/grants",
        {"email": "pupil@school-b.example.org", "course": "", "until": "", "reason": "x"},
    )
    assert response.status_code == 422
    assert "No account with the email pupil@school-b.example.org" in response.get_data(as_text=True)
    assert count(db, Entitlement) == 0


def test_revoking_a_grant(admin_browser, admin, pupil, db, default_school):
    grant = grant_to_user(db, default_school, None, pupil.email, None, "cli")
    response = post(admin_browser, f"/admin/premium/grants/{grant.id}/revoke", {"reason": "oops"})
    assert response.status_code == 302
    db.expire_all()
    grant = db.get(Entitlement, grant.id)
    assert grant.revoked_by_id == admin.id
    assert not has_premium(db, pupil, "node-workers")
    assert "Revoked" in admin_browser.client.get(OVERVIEW).get_data(as_text=True)
    assert actions(db)[-1] == "premium.revoked"


def test_another_schools_grant_and_code_are_404(admin_browser, db, second_school):
    b_pupil = db.scalars(select(User).where(User.tenant_id == second_school.id)).one()
    b_grant = grant_to_user(db, second_school, None, b_pupil.email, None, "theirs")
    (b_code,) = codes.create_codes(db, second_school, None, count=1)

    assert post(admin_browser, f"/admin/premium/grants/{b_grant.id}/revoke", {}).status_code == 404
    assert (
        post(admin_browser, f"/admin/premium/codes/{b_code.id}/disable", {}, CODES).status_code
        == 404
    )

    db.expire_all()
    assert db.get(Entitlement, b_grant.id).revoked_at is None
    assert db.get(PremiumCode, b_code.id).disabled_at is None
    assert "theirs" not in admin_browser.client.get(OVERVIEW).get_data(as_text=True)
    assert b_code.code not in admin_browser.client.get(CODES).get_data(as_text=True)


# --- premium text ------------------------------------------------------------------------


def test_the_premium_text_is_saved_and_shown_to_students(admin_browser, pupil_browser, db):
    text = "Ask Mrs <em>Smith</em>\nRoom 12"
    assert post(admin_browser, "/admin/premium/info", {"premium_info": text}).status_code == 302
    page = pupil_browser.client.get("/premium").get_data(as_text=True)
    assert "Ask Mrs &lt;em&gt;Smith&lt;/em&gt;\nRoom 12" in page
    assert "premium.info_changed" in actions(db)


def test_a_too_long_premium_text_is_422_and_kept(admin_browser):
    response = post(admin_browser, "/admin/premium/info", {"premium_info": "x" * 4001})
    assert response.status_code == 422
    assert "x" * 4001 in response.get_data(as_text=True)


# --- codes -------------------------------------------------------------------------------


def test_creating_listing_disabling_and_downloading_codes(admin_browser, admin, db):
    response = post(
        admin_browser,
        CODES,
        {"count": "3", "uses": "2", "until": TOMORROW, "course": "node-workers", "note": "4B"},
        CODES,
    )
    assert response.status_code == 302
    made = db.scalars(select(PremiumCode).order_by(PremiumCode.id)).all()
    assert len(made) == 3
    assert {(c.max_uses, c.course_id, c.note, c.created_by_id) for c in made} == {
        (2, "node-workers", "4B", admin.id)
    }
    html = admin_browser.client.get(CODES).get_data(as_text=True)
    for code in made:
        assert code.code in html
    assert "0 of 2" in html and TOMORROW in html

    assert (
        post(admin_browser, f"/admin/premium/codes/{made[0].id}/disable", {}, CODES).status_code
        == 302
    )
    db.expire_all()
    assert db.get(PremiumCode, made[0].id).disabled_at is not None

    download = admin_browser.client.get("/admin/premium/codes.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert sorted(row["code"] for row in rows) == sorted(code.code for code in made)
    states = {row["code"]: row["status"] for row in rows}
    assert states[made[0].code] == "disabled" and states[made[1].code] == "active"
    assert {row["left"] for row in rows} == {"2"}
    assert actions(db) == ["premium.codes_created", "premium.code_disabled"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": "0", "uses": "1"}, "Give a whole number from 1 to 500."),
        ({"count": "501", "uses": "1"}, "Give a whole number from 1 to 500."),
        ({"count": "abc", "uses": "1"}, "Give a whole number from 1 to 500."),
        ({"count": "5", "uses": "0"}, "Give a whole number, at least 1."),
        ({"count": "5", "uses": "1", "until": YESTERDAY}, "is in the past"),
    ],
)
def test_a_bad_codes_form_is_422(admin_browser, db, data, message):
    response = post(admin_browser, CODES, {"course": "", "note": "kept note", **data}, CODES)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="kept note"' in html
    assert count(db, PremiumCode) == 0
