"""Who may use which route: every role against every route, with the status it gets.

`ACCESS` names, for each endpoint, the least role that may use it. The matrix test
builds every route of the app, asks it as a guest, a student, an instructor, a school
admin and a platform admin, and checks the status each gets: a guest is sent to log in,
a role below the route's gets 403, the others get through. A new route that is not in
`ACCESS` fails the test, so nobody adds a page without deciding who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from portal.models import (
    Comment,
    Entitlement,
    ErrorReport,
    LabRun,
    Notification,
    Post,
    PremiumCode,
    Role,
    School,
    StudentGroup,
    Submission,
    utc_now,
)
from tests.web.conftest import PASSWORD, Browser

GUEST, MEMBER, STAFF, SCHOOL_ADMIN, PLATFORM_ADMIN = range(5)
LEVEL_NAMES = ["guest", "member", "staff", "school admin", "platform admin"]
# Each role's rank on the same scale as the levels above.
ROLE_RANK = {
    "guest": GUEST,
    Role.STUDENT.value: MEMBER,
    Role.INSTRUCTOR.value: STAFF,
    Role.SCHOOL_ADMIN.value: SCHOOL_ADMIN,
    Role.PLATFORM_ADMIN.value: PLATFORM_ADMIN,
}

ACCESS = {
    # courses and questions
    "courses.index": GUEST,
    "courses.course_page": GUEST,
    "courses.step_page": GUEST,
    "courses.complete": MEMBER,
    "questions.answer": GUEST,  # a guest may answer the public System Check
    # accounts
    "auth.login": GUEST,
    "auth.register": GUEST,
    "auth.logout": GUEST,
    # labs and rewards
    "labs.lab_page": MEMBER,
    "labs.submit": MEMBER,
    "labs.submission_status": MEMBER,
    "labs.submission_events": MEMBER,
    "labs.submission_chart": MEMBER,
    "labs.run": MEMBER,
    "labs.run_status": MEMBER,
    "gamification.profile": MEMBER,
    # accounts, continued
    "auth.forgot_password": GUEST,
    "auth.reset_password": GUEST,
    # the school's look, on every page
    "branding.logo": GUEST,
    "branding.theme": GUEST,
    # "Found an error?"
    "reports.report_error": MEMBER,
    # premium for students
    "premium.upsell": MEMBER,
    "premium.redeem": MEMBER,
    # Consult A.D.A. (premium: the cast's student has a grant, staff always have it)
    "ada.page": MEMBER,
    "ada.ask": MEMBER,
    # the dashboard: what instructors see
    "admin.home": STAFF,
    "admin.progress_list": STAFF,
    "admin.progress_csv": STAFF,
    "admin.student_progress": STAFF,
    "admin.submissions_list": STAFF,
    "admin.submission_page": STAFF,
    "admin.submission_chart": STAFF,
    "admin.export_grades": STAFF,
    "admin.export_progress": STAFF,
    "admin.reports_list": STAFF,
    "admin.resolve_report": STAFF,
    "admin.reopen_report": STAFF,
    "admin.groups_list": STAFF,
    "admin.create_group": STAFF,
    "admin.group_page": STAFF,
    "admin.rename_group": STAFF,
    "admin.delete_group": STAFF,
    "admin.add_group_members": STAFF,
    "admin.remove_group_member": STAFF,
    # the dashboard: the school's settings, its users and its premium
    "admin.users_list": SCHOOL_ADMIN,
    "admin.user_page": SCHOOL_ADMIN,
    "admin.change_role": SCHOOL_ADMIN,
    "admin.deactivate": SCHOOL_ADMIN,
    "admin.reactivate": SCHOOL_ADMIN,
    "admin.reset_password": SCHOOL_ADMIN,
    "admin.settings": SCHOOL_ADMIN,
    "admin.save_branding": SCHOOL_ADMIN,
    "admin.upload_logo": SCHOOL_ADMIN,
    "admin.remove_logo": SCHOOL_ADMIN,
    "admin.save_signup_policy": SCHOOL_ADMIN,
    "admin.save_ada_endpoint": SCHOOL_ADMIN,
    "premium.admin_overview": SCHOOL_ADMIN,
    "premium.licence_on": SCHOOL_ADMIN,
    "premium.licence_off": SCHOOL_ADMIN,
    "premium.grant": SCHOOL_ADMIN,
    "premium.revoke": SCHOOL_ADMIN,
    "premium.premium_info": SCHOOL_ADMIN,
    "premium.codes_page": SCHOOL_ADMIN,
    "premium.create_codes": SCHOOL_ADMIN,
    "premium.codes_csv": SCHOOL_ADMIN,
    "premium.disable_code": SCHOOL_ADMIN,
    # the platform: every school, the grading system
    "platform_admin.overview": PLATFORM_ADMIN,
    "platform_admin.new_school": PLATFORM_ADMIN,
    "platform_admin.edit_school": PLATFORM_ADMIN,
    "platform_admin.deactivate_school": PLATFORM_ADMIN,
    "platform_admin.reactivate_school": PLATFORM_ADMIN,
    "platform_admin.grading": PLATFORM_ADMIN,
    "platform_admin.requeue_failed_job": PLATFORM_ADMIN,
    "platform_admin.delete_failed_job": PLATFORM_ADMIN,
    "platform_admin.submissions_chart": PLATFORM_ADMIN,
    "platform_admin.pass_rate_chart": PLATFORM_ADMIN,
    # in-app notifications: each user's own
    "notifications.notifications_page": MEMBER,
    "notifications.mark_all_read": MEMBER,
    "notifications.open_notification": MEMBER,
    # the Holo-Net: every member reads, writes, reacts and flags; staff pin and moderate
    "feed.index": MEMBER,
    "feed.new_post": MEMBER,
    "feed.post_page": MEMBER,
    "feed.add_comment": MEMBER,
    "feed.react": MEMBER,
    "feed.flag_post": MEMBER,
    "feed.flag_comment": MEMBER,
    "feed.delete_post": MEMBER,
    "feed.delete_comment": MEMBER,
    "feed.share_achievement": MEMBER,
    "feed.pin_post": STAFF,
    "feed.unpin_post": STAFF,
    "feed.moderation_queue": STAFF,
    "feed.moderate_post": STAFF,
    "feed.moderate_comment": STAFF,
    # Prometheus: not a role but a token, or loopback when none is set (the test client's)
    "metrics.metrics": GUEST,
    # The orchestrator's probes: no school, no login, nothing but up or ready
    "health.healthz": GUEST,
    "health.readyz": GUEST,
    "health.favicon": GUEST,
}

# Routes whose answer to an allowed role is not a plain "it worked".
# (endpoint, role) -> the statuses that role gets.
SPECIAL = {
    # A submission is its owner's: staff read it through the admin pages.
    **{
        ("labs.submission_status", role): (404,)
        for role in ("instructor", "school_admin", "platform_admin")
    },
    **{
        ("labs.submission_events", role): (404,)
        for role in ("instructor", "school_admin", "platform_admin")
    },
    **{
        ("labs.submission_chart", role): (404,)
        for role in ("instructor", "school_admin", "platform_admin")
    },
    # A run is its owner's too, and not graded: nobody else reads it, staff included.
    **{
        ("labs.run_status", role): (404,)
        for role in ("instructor", "school_admin", "platform_admin")
    },
    # A notification is its owner's (the student's here): nobody else can open it.
    **{
        ("notifications.open_notification", role): (404,)
        for role in ("instructor", "school_admin", "platform_admin")
    },
    # Only its author deletes a post or a comment (the student's here); staff hide them.
    **{
        (endpoint, role): (403,)
        for endpoint in ("feed.delete_post", "feed.delete_comment")
        for role in ("instructor", "school_admin", "platform_admin")
    },
}

CONTENT_PARAMETERS = {
    "course_id": "node-workers",
    "step_id": "event-loop",
    "lab_id": "thread-lab",
    "question_id": "system-check",
    "queue_name": "grading",
    "job_id": "submission-1",
}


@dataclass
class Cast:
    """One logged-in browser per role, and the objects the routes' ids point at."""

    browsers: dict[str, Browser]
    object_ids: dict[str, int | str]


@pytest.fixture
def cast(app: Flask, db, make_user, make_browser) -> Cast:
    browsers = {"guest": make_browser(app)}
    users = {}
    for role in Role:
        email = f"{role.value}@example.org"
        users[role.value] = make_user(email, PASSWORD, role.value.title(), role=role)
        browser = make_browser(app)
        assert browser.log_in(email, PASSWORD).status_code == 302
        browsers[role.value] = browser
    submission = Submission(
        tenant_id=users["student"].tenant_id,
        user_id=users["student"].id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log('hi')",
        entrypoint="main.js",
        status="graded",
        verdict="passed",
        score=1.0,
        gradable=True,
        feedback="ok",
        checks=[],
        output={"stdout": "hi", "truncated": False, "bytes": 2},
        measurements={},
        graded_at=utc_now(),
    )
    tenant_id = users["student"].tenant_id
    other_school = School(slug="elsewhere", name="Elsewhere")
    grant = Entitlement(tenant_id=tenant_id, user_id=users["student"].id, source="admin")
    code = PremiumCode(tenant_id=tenant_id, code="AAAA-BBBB-CCCC")
    db.add_all([submission, other_school, grant, code])
    db.flush()
    report = ErrorReport(
        tenant_id=tenant_id,
        user_id=users["student"].id,
        course_id="node-workers",
        step_id="event-loop",
        message="A typo in the first paragraph.",
    )
    notification = Notification(
        tenant_id=tenant_id,
        user_id=users["student"].id,
        kind="reply",
        message="Someone replied to your post.",
        link="/profile",
    )
    post = Post(
        tenant_id=tenant_id,
        author_id=users["student"].id,
        title="A post",
        body_markdown="Hello",
        body_html="<p>Hello</p>",
    )
    db.add_all([report, notification, post])
    db.flush()
    comment = Comment(
        tenant_id=tenant_id,
        post_id=post.id,
        author_id=users["student"].id,
        body_markdown="A comment",
        body_html="<p>A comment</p>",
    )
    run = LabRun(
        tenant_id=tenant_id,
        user_id=users["student"].id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log('run')",
        status="finished",
        outcome="completed",
        message="Done.",
    )
    group = StudentGroup(tenant_id=tenant_id, name="Year 10 B")
    db.add_all([comment, run, group])
    db.commit()
    return Cast(
        browsers,
        {
            "submission_id": submission.id,
            "user_id": users["student"].id,
            "report_id": report.id,
            "grant_id": grant.id,
            "code_id": code.id,
            "school_id": other_school.id,
            "notification_id": notification.id,
            "post_id": post.id,
            "comment_id": comment.id,
            "run_id": run.id,
            "group_id": group.id,
        },
    )


def _routes(app: Flask):
    # Logging out comes last: it ends the session the other requests need.
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint == "auth.logout")
    for rule in rules:
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def _expected(endpoint: str, role: str) -> tuple[int, ...]:
    if (endpoint, role) in SPECIAL:
        return SPECIAL[endpoint, role]
    level = ACCESS[endpoint]
    if ROLE_RANK[role] >= level:
        return ()  # allowed: anything but "log in first" or "not allowed"
    if role == "guest":
        return (302,)
    return (403,)


def test_every_route_has_a_declared_access_level(app):
    endpoints = {rule.endpoint for rule, _ in _routes(app)}
    assert endpoints - set(ACCESS) == set(), "routes nobody decided who may use"
    assert set(ACCESS) - endpoints == set(), "ACCESS names routes that do not exist"


@pytest.mark.parametrize("role", list(ROLE_RANK))
def test_each_role_gets_what_its_level_allows_on_every_route(app, cast, role):
    browser = cast.browsers[role]
    mismatches = []
    for rule, method in _routes(app):
        values = {
            name: CONTENT_PARAMETERS.get(name, cast.object_ids.get(name)) for name in rule.arguments
        }
        assert None not in values.values(), f"no value for the parameters of {rule.rule}"
        path = rule.build(values)[1]
        if method == "GET":
            response = browser.client.get(path)
        else:
            token = browser.csrf_token("/auth/login")
            response = browser.client.post(path, data={"csrf_token": token})
        expected = _expected(rule.endpoint, role)
        status = response.status_code
        location = response.headers.get("Location", "")
        sent_to_log_in = status == 302 and location.startswith("/auth/login")
        if expected == ():
            if status in (401, 403) or sent_to_log_in or status >= 500:
                mismatches.append((method, path, status, "allowed"))
        elif status not in expected or (expected == (302,) and not sent_to_log_in):
            mismatches.append((method, path, status, expected))
    assert mismatches == []
