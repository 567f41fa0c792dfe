"""Premium codes: their shape, and every way a redemption succeeds or is refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, CodeRedemption, Entitlement, PremiumCode, utc_now
from portal.premium import codes
from portal.premium.entitlements import has_premium
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.premium.premium_support import count

COURSE = "node-workers"


def make_code(db, school, **fields) -> PremiumCode:
    (code,) = codes.create_codes(db, school, None, count=1, **fields)
    return code


def uses(db, code: PremiumCode) -> int:
    db.expire_all()
    return db.get(PremiumCode, code.id).uses


def redeem(browser, typed: str, **extra):
    return browser.post_form("/premium/redeem", {"code": typed, **extra}, form_page="/premium")


# --- the codes themselves ----------------------------------------------------------------


def test_codes_are_three_groups_of_four_unambiguous_symbols():
    for _ in range(200):
        code = codes.generate_code()
        groups = code.split("-")
        assert [len(group) for group in groups] == [4, 4, 4]
        assert not set("".join(groups)) & set("01OI")
        assert set("".join(groups)) <= set(codes.CODE_ALPHABET)
    assert len(codes.CODE_ALPHABET) ** 12 >= 2**60


@pytest.mark.parametrize(
    "typed", ["abcd-efgh-jkmn", " ABCD EFGH JKMN ", "abcdefghjkmn", "ABCD–EFGH-JKMN"]
)
def test_what_a_student_types_is_normalised(typed):
    assert codes.normalise_code(typed) == "ABCD-EFGH-JKMN"


def test_a_batch_of_codes_is_distinct_and_audited_without_the_codes(db, default_school):
    made = codes.create_codes(db, default_school, None, count=50, max_uses=3, note="class 4B")
    assert len({code.code for code in made}) == 50
    assert {code.max_uses for code in made} == {3}
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "premium.codes_created")).one()
    assert event.detail["count"] == 50
    assert not any(code.code in str(event.detail) for code in made)


# --- redeeming ---------------------------------------------------------------------------


def test_redeeming_a_code_grants_premium_until_its_date_in_one_transaction(
    pupil_browser, pupil, db, default_school
):
    until = utc_now().replace(microsecond=0) + timedelta(days=30)
    code = make_code(db, default_school, until=until, course_id=COURSE, note="trial")

    response = redeem(
        pupil_browser, code.code.lower().replace("-", " "), next="/courses/node-workers"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/node-workers"
    db.expire_all()
    grant = db.scalars(select(Entitlement)).one()
    assert (grant.user_id, grant.course_id, grant.source, grant.code_id) == (
        pupil.id,
        COURSE,
        "code",
        code.id,
    )
    assert grant.until == until
    redemption = db.scalars(select(CodeRedemption)).one()
    assert (redemption.user_id, redemption.entitlement_id) == (pupil.id, grant.id)
    assert uses(db, code) == 1
    assert has_premium(db, pupil, COURSE)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "premium.code_redeemed")).one()
    assert event.actor_id == pupil.id and event.target == f"code:{code.id}"
    page = pupil_browser.client.get("/courses/node-workers").get_data(as_text=True)
    assert "Code redeemed" in page


def test_an_unsafe_next_is_ignored(pupil_browser, db, default_school):
    code = make_code(db, default_school)
    response = redeem(pupil_browser, code.code, next="//evil.example.org/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/premium")


def refused(browser, typed: str, message: str, status: int = 422):
    response = redeem(browser, typed)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert message in html
    assert f'value="{typed}"' in html  # what the student typed is kept
    return response


def test_an_unknown_code_is_refused(pupil_browser, db):
    refused(pupil_browser, "AAAA-BBBB-CCCC", "There is no such code at this school")
    assert count(db, Entitlement) == 0


def test_a_disabled_code_is_refused(pupil_browser, db, default_school):
    code = make_code(db, default_school)
    codes.disable_code(db, default_school, None, code.id)
    refused(pupil_browser, code.code, "This code has been disabled")
    assert count(db, Entitlement) == 0 and uses(db, code) == 0


def test_an_expired_code_is_refused(pupil_browser, db, default_school):
    code = make_code(db, default_school)
    code.until = utc_now() - timedelta(minutes=1)
    db.commit()
    refused(pupil_browser, code.code, "This code expired on")
    assert count(db, Entitlement) == 0 and uses(db, code) == 0


def test_a_used_up_code_is_refused(app, make_browser, make_user, pupil_browser, db, default_school):
    code = make_code(db, default_school, max_uses=1)
    first = make_user("first@example.org", PASSWORD, "First")
    assert redeem(log_in_as(make_browser, app, first), code.code).status_code == 302

    refused(pupil_browser, code.code, "This code has been used up")
    assert count(db, Entitlement) == 1 and uses(db, code) == 1


def test_a_code_is_redeemed_once_per_student(pupil_browser, db, default_school):
    code = make_code(db, default_school, max_uses=5)
    assert redeem(pupil_browser, code.code).status_code == 302

    refused(pupil_browser, code.code, "You have already redeemed this code")
    assert count(db, Entitlement) == 1 and uses(db, code) == 1


def test_a_multi_use_code_serves_several_students(app, make_browser, make_user, db, default_school):
    code = make_code(db, default_school, max_uses=3)
    for number in range(3):
        user = make_user(f"s{number}@example.org", PASSWORD, f"S{number}")
        assert redeem(log_in_as(make_browser, app, user), code.code).status_code == 302
    assert uses(db, code) == 3
    assert count(db, CodeRedemption) == 3


def test_another_schools_code_is_unknown_here(pupil_browser, db, second_school):
    code = make_code(db, second_school)
    refused(pupil_browser, code.code, "There is no such code at this school")
    assert uses(db, code) == 0


def test_an_empty_code_is_an_invalid_form(pupil_browser):
    response = redeem(pupil_browser, "")
    assert response.status_code == 422
    assert "Type the code you were given" in response.get_data(as_text=True)


def test_guessing_is_stopped_after_ten_failures_in_an_hour(pupil_browser, db, default_school):
    code = make_code(db, default_school)
    for _ in range(codes.FAILED_REDEMPTIONS_PER_HOUR):
        assert redeem(pupil_browser, "AAAA-BBBB-CCCC").status_code == 422

    response = redeem(pupil_browser, code.code)  # even a good code, now
    assert response.status_code == 429
    assert "Too many codes" in response.get_data(as_text=True)
    assert count(db, Entitlement) == 0


def test_the_redeem_page_needs_a_login(browser):
    response = browser.client.get("/premium")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- max_uses under concurrency ----------------------------------------------------------


def test_max_uses_holds_when_students_redeem_at_the_same_time(app, db, default_school, make_user):
    code = make_code(db, default_school, max_uses=2)
    students = [make_user(f"racer{n}@example.org", PASSWORD, f"R{n}") for n in range(6)]
    start = threading.Barrier(len(students))
    outcomes: list[str] = []

    def race(student_id: int) -> None:
        with app.app_context():
            session = app.extensions["db_sessionmaker"]()
            try:
                student = session.get(type(students[0]), student_id)
                school = session.get(type(default_school), default_school.id)
                start.wait()
                codes.redeem_code(session, school, student, code.code)
                outcomes.append("redeemed")
            except codes.RedemptionRefused as error:
                outcomes.append(str(error))
            finally:
                session.close()

    threads = [threading.Thread(target=race, args=(s.id,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcomes.count("redeemed") == 2, outcomes
    assert all(o == "redeemed" or "used up" in o for o in outcomes), outcomes
    assert uses(db, code) == 2
    assert count(db, Entitlement) == 2 and count(db, CodeRedemption) == 2
