"""Every payload of the XSS corpus renders inert on the existing pages.

Names, group names, lab results, error reports, notifications, the school's name and its
premium text: each test builds its data once for all payloads (one student per payload,
one submission per payload, ...), visits every page that shows it, and collects what went
wrong by page and payload, so one run names every leak at once. The Holo-Net's posts and
comments are tested with the feed.
"""

from __future__ import annotations

import pytest
from jinja2 import Environment, TemplateError
from markdown_it import MarkdownIt
from markupsafe import escape
from sqlalchemy import func, select

from portal.models import ErrorReport, Role, Submission, User, utc_now
from portal.notifications.service import notify
from tests.web.conftest import PASSWORD, log_in_as
from tests.web.xss_corpus import PAYLOADS, TEMPLATE_PROBES, dangerous_markup, shown_as_text

LAB = "/courses/node-workers/labs/thread-lab"
STEP = "/courses/node-workers/steps/event-loop"


class Findings:
    """What went wrong, by page and payload (empty when every payload stayed inert)."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str, object]] = []

    def check(self, where: str, payload: str, response, shown: bool = False) -> str:
        """Record a server error, live markup, and (if `shown`) the text not shown as is."""
        body = response.get_data(as_text=True)
        if response.status_code >= 500:
            self.problems.append((where, payload, response.status_code))
        live = dangerous_markup(body)
        if live:
            self.problems.append((where, payload, live))
        if shown and not shown_as_text(body, payload):
            self.problems.append((where, payload, "not shown as typed"))
        return body


@pytest.fixture
def admin(app, make_user, make_browser):
    user = make_user("head@example.org", PASSWORD, "Head", role=Role.SCHOOL_ADMIN)
    return log_in_as(make_browser, app, user)


def _email(number: int) -> str:
    return f"payload{number}@example.org"


def _user(db, email: str) -> User:
    return db.scalars(select(User).where(User.email == email)).one()


def _graded(db, user: User, payload: str) -> Submission:
    submission = Submission(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code=payload,
        entrypoint="main.js",
        status="graded",
        verdict="failed",
        score=0.5,
        gradable=True,
        feedback=payload,
        checks=[{"name": payload, "passed": False, "message": payload}],
        output={"text": payload, "truncated": False, "bytes_total": len(payload)},
        measurements={"event_loop_p99_ms": 3.5},
        graded_at=utc_now(),
    )
    db.add(submission)
    db.commit()
    return submission


# --- the detector is honest ----------------------------------------------------------------


def _naive_markdown(text: str) -> str:
    # Raw HTML on, every link allowed: what a careless Markdown setup would send.
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda _url: True
    return renderer.render(text)


def _live_renderings(payload: str) -> list[str]:
    # The ways a page could get it wrong: markup pasted as is, careless Markdown, the
    # text put unescaped into an attribute, the text run as a template without escaping.
    renderings = [payload, _naive_markdown(payload), f'<img alt="{payload}" src="/x.png">']
    try:
        renderings.append(Environment(autoescape=False).from_string(payload).render())
    except TemplateError:
        pass
    return renderings


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_detector_sees_each_payload_when_it_is_rendered_live(payload):
    if payload in TEMPLATE_PROBES:
        # No markup to see; the pages' tests check that the text is shown as typed.
        assert not shown_as_text("<p>49 </p>", payload)
        return
    assert any(dangerous_markup(html) for html in _live_renderings(payload)), payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_detector_lets_each_payload_pass_as_escaped_text(payload):
    page = f'<p>{escape(payload)}</p><input value="{escape(payload)}">'
    assert dangerous_markup(page) == []
    assert shown_as_text(page, payload)


# --- names ------------------------------------------------------------------------------


def test_display_names_stay_inert_on_every_page_that_shows_them(app, db, admin, make_browser):
    findings = Findings()
    students: list[tuple[str, User]] = []
    for number, payload in enumerate(PAYLOADS):
        visitor = make_browser(app)
        # A refused form echoes what was typed; then the real registration.
        refused = visitor.register(_email(number), payload, "short")
        assert refused.status_code == 422
        findings.check("register (refused)", payload, refused)
        response = visitor.register(_email(number), payload, PASSWORD)
        assert response.status_code == 302, payload
        visitor.log_in(_email(number), PASSWORD)
        findings.check("header", payload, visitor.client.get("/"), shown=True)
        findings.check("profile", payload, visitor.client.get("/profile"), shown=True)
        user = _user(db, _email(number))
        _graded(db, user, "console.log('plain')")
        visitor.post_form(f"{STEP}/report", {"message": "A typo in the second paragraph."})
        students.append((payload, user))
    everyone = [payload for payload, _ in students]
    for path in ("/admin/users", "/admin/progress", "/admin/submissions", "/admin/reports"):
        body = findings.check(path, "all of them", admin.client.get(path))
        for payload in everyone:
            if path != "/admin/submissions" and not shown_as_text(body, payload):
                findings.problems.append((path, payload, "not shown as typed"))
    for payload, user in students:
        for path in (f"/admin/users/{user.id}", f"/admin/progress/{user.id}"):
            findings.check(path, payload, admin.client.get(path), shown=True)
    assert findings.problems == []


def test_a_display_name_in_the_header_of_staff_pages_stays_inert(app, make_user, make_browser):
    findings = Findings()
    for number, payload in enumerate(PAYLOADS):
        user = make_user(_email(number), PASSWORD, payload, role=Role.SCHOOL_ADMIN)
        staff = log_in_as(make_browser, app, user)
        for path in ("/admin/", "/admin/settings", "/admin/premium", "/premium"):
            findings.check(path, payload, staff.client.get(path))
    assert findings.problems == []


# --- lab results ------------------------------------------------------------------------


def test_lab_output_checks_feedback_and_code_stay_inert(app, db, admin, make_user, make_browser):
    findings = Findings()
    student = make_user("lab@example.org", PASSWORD, "Lab student")
    visitor = log_in_as(make_browser, app, student)
    for payload in PAYLOADS:
        submission = _graded(db, student, payload)
        lab = visitor.client.get(f"{LAB}?submission={submission.id}")
        findings.check("lab page", payload, lab, shown=True)
        status = visitor.client.get(f"/submissions/{submission.id}/status")
        # JSON for lab-status.js, which puts it into the page as text: never HTML here.
        assert status.mimetype == "application/json", payload
        page = admin.client.get(f"/admin/submissions/{submission.id}")
        findings.check("admin submission page", payload, page, shown=True)
    findings.check("admin submissions list", "all of them", admin.client.get("/admin/submissions"))
    assert findings.problems == []


# --- error reports ----------------------------------------------------------------------


def test_error_report_messages_stay_inert(app, db, admin, make_user, make_browser):
    findings = Findings()
    for number, payload in enumerate(PAYLOADS):
        reporter = make_user(_email(number), PASSWORD, f"Reporter {number}")
        visitor = log_in_as(make_browser, app, reporter)
        # Too long: the refused form echoes the message.
        refused = visitor.post_form(f"{STEP}/report", {"message": payload * 300})
        assert refused.status_code == 422, payload
        findings.check("report form (refused)", payload, refused)
        response = visitor.post_form(f"{STEP}/report", {"message": payload})
        assert response.status_code == 302, payload
    assert db.scalar(select(func.count()).select_from(ErrorReport)) == len(PAYLOADS)
    body = findings.check("admin reports", "all of them", admin.client.get("/admin/reports"))
    for payload in PAYLOADS:
        if not shown_as_text(body, payload):
            findings.problems.append(("admin reports", payload, "not shown as typed"))
    assert findings.problems == []


# --- notifications ----------------------------------------------------------------------


def test_notification_messages_stay_inert(db, student, student_browser):
    for payload in PAYLOADS:
        notify(db, student, "reply", payload, "/profile")
    db.commit()
    findings = Findings()
    body = "".join(
        findings.check(path, "all of them", student_browser.client.get(path))
        for path in ("/notifications", "/notifications?page=2")
    )
    for payload in PAYLOADS:
        if not shown_as_text(body, payload):
            findings.problems.append(("notifications", payload, "not shown as typed"))
    assert findings.problems == []


# --- the school's name and premium text -------------------------------------------------


def test_the_school_name_and_premium_text_stay_inert(
    app, db, admin, student_browser, make_user, make_browser
):
    operator = make_user("operator@example.org", PASSWORD, "Operator", role=Role.PLATFORM_ADMIN)
    platform = log_in_as(make_browser, app, operator)
    findings = Findings()
    for payload in PAYLOADS:
        saved = admin.post_form(
            "/admin/settings/branding", {"name": payload, "colour": "#123456"}, "/admin/settings"
        )
        assert saved.status_code == 302, (payload, saved.status_code)
        saved = admin.post_form("/admin/premium/info", {"premium_info": payload}, "/admin/premium")
        assert saved.status_code == 302, (payload, saved.status_code)
        for path in ("/", "/premium", STEP):
            findings.check(path, payload, student_browser.client.get(path), shown=True)
        for path in ("/admin/settings", "/admin/premium"):
            findings.check(path, payload, admin.client.get(path))
        findings.check("/platform/", payload, platform.client.get("/platform/"), shown=True)
    assert findings.problems == []


def test_group_names_stay_inert_on_every_page_that_shows_them(admin):
    findings = Findings()
    for number, typed in enumerate(PAYLOADS):
        # Numbered: two payloads that differ only by case would be one group's name.
        payload = f"{number} {typed}"
        # Twice: the second is refused as a duplicate, and its error names the first.
        created = admin.post_form("/admin/groups", {"name": payload})
        if len(payload) > 80:  # refused as too long: the form shows it again
            assert created.status_code == 422, payload
            findings.check("groups (too long)", payload, created)
            continue
        assert created.status_code == 302, payload
        group_page = created.headers["Location"]
        duplicate = admin.post_form("/admin/groups", {"name": payload})
        assert duplicate.status_code == 422, payload
        findings.check("groups (duplicate)", payload, duplicate, shown=True)
        findings.check("group", payload, admin.client.get(group_page), shown=True)
        group_id = group_page.rstrip("/").rsplit("/", 1)[1]
        book = admin.client.get(f"/admin/progress?group={group_id}")
        findings.check("gradebook of the group", payload, book, shown=True)
    findings.check("groups", "all of them", admin.client.get("/admin/groups"))
    assert findings.problems == []
