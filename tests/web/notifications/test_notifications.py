"""In-app notifications: who gets them (achievements, error reports), the page, the bell,
marking them read, opening one (never off the site), and other people's ids (404)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

import contract
from portal.jobs import record_result
from portal.models import ErrorReport, Notification, Role, User, utc_now
from portal.notifications.service import notify
from tests.web import admin_support
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.questions.test_questions import answer

STEP = "/courses/node-workers/steps/event-loop"
BELL = re.compile(r'aria-label="Notifications, (\d+) unread"')


def _messages(db, user: User) -> list[str]:
    db.expire_all()
    return list(
        db.scalars(
            select(Notification.message)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


def _bell(page: str) -> int:
    match = BELL.search(page)
    assert match, "no bell in the header"
    return int(match.group(1))


def _add(db, user: User, message: str, link: str = "/profile", **values) -> Notification:
    notification = notify(db, user, "reply", message, link)
    for name, value in values.items():
        setattr(notification, name, value)
    db.commit()
    return notification


# --- who is told ------------------------------------------------------------------------


def test_a_recorded_result_tells_the_student_of_the_achievement_once(
    app, db, student, make_grade_result
):
    submission = admin_support.add_submission(db, student, verdict=None)  # queued
    payload = contract.encode(make_grade_result(str(submission.id), str(student.tenant_id)))
    with app.app_context():
        assert record_result(payload)["recorded"] is True
        assert record_result(payload)["recorded"] is False  # the same result again
    notifications = db.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind, n.message, n.link) for n in notifications] == [
        (student.id, "achievement", "Achievement unlocked: Thread Master", "/profile")
    ]
    assert notifications[0].tenant_id == student.tenant_id


def test_a_second_passing_submission_does_not_tell_again(app, db, student, make_grade_result):
    ids = []
    for _ in range(2):
        ids.append(admin_support.add_submission(db, student, verdict=None).id)
    with app.app_context():
        for submission_id in ids:
            record_result(
                contract.encode(make_grade_result(str(submission_id), str(student.tenant_id)))
            )
    assert _messages(db, student) == ["Achievement unlocked: Thread Master"]


def test_a_question_that_unlocks_achievements_tells_the_student(student_browser, student, db):
    order = {"order": ["create", "run", "reply"]}
    answer(student_browser, "worker-lifecycle", order, "lifecycle-sorting")
    answer(student_browser, "worker-lifecycle", order, "lifecycle-sorting")  # again
    assert sorted(_messages(db, student)) == [
        "Achievement unlocked: Process Architect",
        "Achievement unlocked: Sharp Mind",
    ]
    page = student_browser.client.get("/notifications").get_data(as_text=True)
    assert "Achievement unlocked: Sharp Mind" in page and _bell(page) == 2


def test_an_error_report_reaches_every_staff_member_of_the_school_only(
    browsers, db, people, make_user, other_school
):
    second_instructor = make_user("second@example.org", PASSWORD, "Second", role=Role.INSTRUCTOR)
    retired = make_user("retired@example.org", PASSWORD, "Retired", role=Role.SCHOOL_ADMIN)
    retired.is_active = False
    db.commit()
    other_admin = make_user(
        "admin@school-b.example.org",
        PASSWORD,
        "B admin",
        role=Role.SCHOOL_ADMIN,
        school=other_school[0],
    )
    response = browsers["student"].post_form(
        f"{STEP}/report", {"message": "The second diagram shows the wrong thread."}
    )
    assert response.status_code == 302
    told = "New error report on One thread, one event loop"
    assert _messages(db, people["instructor"]) == [told]
    assert _messages(db, people["school_admin"]) == [told]
    assert _messages(db, second_instructor) == [told]
    for untold in (people["student"], people["platform_admin"], retired, other_admin):
        assert _messages(db, untold) == [], untold.email
    link = db.scalars(select(Notification.link)).first()
    assert link == "/admin/reports"
    staff_page = browsers["instructor"].client.get("/notifications").get_data(as_text=True)
    assert told in staff_page and _bell(staff_page) == 1


def test_resolving_a_report_tells_the_reporter(browsers, db, people):
    browsers["student"].post_form(
        f"{STEP}/report", {"message": "The second diagram shows the wrong thread."}
    )
    report = db.scalars(select(ErrorReport)).one()
    instructor = browsers["instructor"]
    instructor.post_form(f"/admin/reports/{report.id}/resolve", {}, "/admin/reports")
    messages = _messages(db, people["student"])
    assert messages == [
        f"Your error report #{report.id} was resolved by the school's staff. Thank you!"
    ]
    note = db.scalars(
        select(Notification).where(Notification.user_id == people["student"].id)
    ).one()
    assert note.link == STEP
    # Reopening tells nothing more.
    instructor.post_form(f"/admin/reports/{report.id}/reopen", {}, "/admin/reports")
    assert len(_messages(db, people["student"])) == 1


# --- the page and the bell ----------------------------------------------------------------


def test_the_page_lists_newest_first_with_unread_ones_marked_in_words(student_browser, student, db):
    older = _add(db, student, "Older news")
    _add(db, student, "Newer news")
    older_read = _add(db, student, "Read long ago")
    older_read.read_at = utc_now()
    db.commit()
    page = student_browser.client.get("/notifications").get_data(as_text=True)
    assert page.index("Read long ago") < page.index("Newer news") < page.index("Older news")
    assert page.count(">New</strong>") == 2
    assert "2 unread." in page and _bell(page) == 2
    assert f'/notifications/{older.id}/open"' in page
    assert "Mark all as read" in page


def test_the_page_is_paginated(student_browser, student, db):
    for number in range(35):
        notify(db, student, "reply", f"Message number {number:02d}", "/profile")
    db.commit()
    first = student_browser.client.get("/notifications").get_data(as_text=True)
    assert "Message number 34" in first and "Message number 04" not in first
    assert "Page 1 of 2" in first
    second = student_browser.client.get("/notifications?page=2").get_data(as_text=True)
    assert "Message number 04" in second and "Message number 34" not in second


def test_guests_are_sent_to_log_in_and_see_no_bell(browser):
    response = browser.client.get("/notifications")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert BELL.search(browser.client.get("/").get_data(as_text=True)) is None


def test_the_bell_counts_only_the_users_own_unread_notifications(
    student_browser, student, make_user, db
):
    other = make_user("other@example.org", PASSWORD, "Other")
    assert _bell(student_browser.client.get("/").get_data(as_text=True)) == 0
    _add(db, student, "One")
    _add(db, student, "Two")
    _add(db, other, "Not yours")
    page = student_browser.client.get("/").get_data(as_text=True)
    assert _bell(page) == 2 and "has-unread" in page


def test_the_bell_costs_one_count_query_per_page(app, student_browser, student, db):
    _add(db, student, "One")
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", remember)
    try:
        student_browser.client.get("/profile")
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    counts = [s for s in statements if "notifications" in s and "count(" in s.lower()]
    assert len(counts) == 1


# --- marking read and opening -------------------------------------------------------------


def test_mark_all_as_read(student_browser, student, db, make_user):
    other = make_user("other@example.org", PASSWORD, "Other")
    _add(db, student, "One")
    _add(db, student, "Two")
    theirs = _add(db, other, "Not yours")
    response = student_browser.post_form("/notifications/read-all", {}, "/notifications")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    page = student_browser.client.get("/notifications").get_data(as_text=True)
    assert "Marked 2 notifications as read." in page
    assert _bell(page) == 0 and ">New</strong>" not in page
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None


def test_mark_all_as_read_needs_the_csrf_token(student_browser, student, db):
    _add(db, student, "One")
    assert student_browser.client.post("/notifications/read-all").status_code == 400
    db.expire_all()
    assert db.scalars(select(Notification.read_at)).one() is None


def test_opening_one_marks_it_read_and_follows_its_link(student_browser, student, db):
    notification = _add(db, student, "A reply", "/courses/node-workers/steps/event-loop#c-3")
    _add(db, student, "Still unread")
    response = student_browser.post_form(
        f"/notifications/{notification.id}/open", {}, "/notifications"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/node-workers/steps/event-loop#c-3"
    db.expire_all()
    assert db.get(Notification, notification.id).read_at is not None
    assert _bell(student_browser.client.get("/").get_data(as_text=True)) == 1


def test_a_notification_without_a_link_is_marked_read_and_stays_on_the_page(
    student_browser, student, db
):
    notification = _add(db, student, "Just so you know", link="")
    page = student_browser.client.get("/notifications").get_data(as_text=True)
    assert "Mark as read" in page
    response = student_browser.post_form(
        f"/notifications/{notification.id}/open", {}, "/notifications"
    )
    assert response.headers["Location"] == "/notifications"
    db.expire_all()
    assert db.get(Notification, notification.id).read_at is not None


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_notify_refuses_links_off_the_site(student, db, link):
    with pytest.raises(ValueError):
        notify(db, student, "reply", "Look", link)


@pytest.mark.parametrize(
    "link", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example"]
)
def test_opening_a_stored_link_off_the_site_stays_here(student_browser, student, db, link):
    # A row written around notify() (by hand, by an older version) is checked again.
    notification = _add(db, student, "Tampered", link="/profile")
    notification.link = link
    db.commit()
    response = student_browser.post_form(
        f"/notifications/{notification.id}/open", {}, "/notifications"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications"


def test_someone_elses_notification_is_not_found(student_browser, student, make_user, db):
    other = make_user("other@example.org", PASSWORD, "Other")
    theirs = _add(db, other, "Private to Other")
    assert "Private to Other" not in student_browser.client.get("/notifications").get_data(
        as_text=True
    )
    response = student_browser.post_form(f"/notifications/{theirs.id}/open", {}, "/notifications")
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None


def test_another_schools_notification_is_not_found(app, make_browser, db, other_school, people):
    school, their_student = other_school
    theirs = _add(db, their_student, "Private to school B")
    admin = log_in_as(make_browser, app, people["school_admin"])
    response = admin.post_form(f"/notifications/{theirs.id}/open", {}, "/notifications")
    assert response.status_code == 404
    assert (
        response.status_code
        == admin.post_form("/notifications/999999/open", {}, "/notifications").status_code
    )
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None
    assert "Private to school B" not in admin.client.get("/notifications").get_data(as_text=True)
