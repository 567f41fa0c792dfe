"""Two schools holding the same kinds of data, for the tenant isolation tests.

School A and school B each have a student and a school admin, a graded submission, a
finished "Run" of lab code, question progress, a completed step, EXP, an achievement, an
error report, a premium grant, a premium code, a notification, a student group, a Holo-Net
post with a comment, and a row of every other tenant-owned table. Everything of school B is marked
with `SCHOOL-B`, so a page that leaked any of it would show the marker. The fixtures
`school_a` and `school_b` are in tests/web/platform/conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    AchievementAward,
    AdaConsultation,
    AuditEvent,
    Base,
    CodeRedemption,
    Comment,
    Entitlement,
    ErrorReport,
    ExpEntry,
    Flag,
    GroupMember,
    LabRun,
    LoginAttempt,
    Notification,
    PasswordResetToken,
    Post,
    PremiumCode,
    QuestionProgress,
    Reaction,
    Role,
    School,
    StepCompletion,
    StudentGroup,
    Submission,
    User,
    utc_now,
)
from portal.models.base import TenantOwned
from tests.web.conftest import CHART_ANALYSIS, PASSWORD, Browser

B_MARKER = "SCHOOL-B"
MEASURED = {
    "workers": 2,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 1210.0, "min": 1190.0, "max": 1250.0}},
        "one_worker": {"loop_delay_p99_ms": {"median": 11.5, "min": 10.0, "max": 14.0}},
        "n_workers": {"loop_delay_p99_ms": {"median": 9.0, "min": 8.0, "max": 12.0}},
    },
    "speedup": {"median": 1.7, "min": 1.6, "max": 1.8, "ideal": 2.0, "efficiency": 0.85},
}


@dataclass
class SchoolData:
    school: School
    user: User
    admin: User
    submission: Submission
    report: ErrorReport
    grant: Entitlement
    code: PremiumCode
    notification: Notification
    post: Post
    comment: Comment
    run: LabRun
    group: StudentGroup

    def object_ids(self) -> dict[str, int]:
        """The school's ids, by the URL parameter names the routes use for them."""
        return {
            "submission_id": self.submission.id,
            "user_id": self.user.id,
            "report_id": self.report.id,
            "grant_id": self.grant.id,
            "code_id": self.code.id,
            "notification_id": self.notification.id,
            "post_id": self.post.id,
            "comment_id": self.comment.id,
            "run_id": self.run.id,
            "group_id": self.group.id,
        }


def fill_school(db: Session, make_user, slug: str, marker: str) -> SchoolData:
    """A school with one of everything a school owns, each carrying `marker`."""
    school = School(slug=slug, name=f"{marker} school")
    db.add(school)
    db.commit()
    user = make_user(f"student@{slug}.example.org", PASSWORD, f"{marker} student", school=school)
    admin = make_user(
        f"admin@{slug}.example.org",
        PASSWORD,
        f"{marker} admin",
        role=Role.SCHOOL_ADMIN,
        school=school,
    )
    submission = Submission(
        tenant_id=school.id,
        user_id=user.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code=f"console.log('{marker} code')",
        entrypoint="main.js",
        status="graded",
        verdict="passed",
        score=1.0,
        gradable=True,
        feedback=f"{marker} feedback",
        checks=[],
        output={"stdout": f"{marker} output", "truncated": False, "bytes": 10},
        measurements=MEASURED,
        analysis=CHART_ANALYSIS,
        graded_at=utc_now(),
    )
    code = PremiumCode(tenant_id=school.id, code=f"{slug[-1].upper()}AAA-BBBB-CCCC", note=marker)
    db.add_all([submission, code])
    db.flush()
    report = ErrorReport(
        tenant_id=school.id,
        user_id=user.id,
        course_id="node-workers",
        step_id="event-loop",
        submission_id=submission.id,
        message=f"{marker} report about a typo",
    )
    grant = Entitlement(
        tenant_id=school.id, user_id=user.id, source="admin", reason=f"{marker} grant"
    )
    notification = Notification(
        tenant_id=school.id,
        user_id=user.id,
        kind="reply",
        message=f"{marker} replied to your post",
        link="/profile",
    )
    db.add_all(
        [
            report,
            grant,
            notification,
            QuestionProgress(
                tenant_id=school.id,
                user_id=user.id,
                course_id="node-workers",
                question_id="q1",
                attempts=1,
                solved_at=utc_now(),
                first_try=True,
            ),
            StepCompletion(
                tenant_id=school.id, user_id=user.id, course_id="node-workers", step_id="event-loop"
            ),
            ExpEntry(
                tenant_id=school.id,
                user_id=user.id,
                reason=f"{marker} reward",
                amount=50,
                source_key=f"{slug}:lab",
            ),
            AchievementAward(
                tenant_id=school.id,
                user_id=user.id,
                achievement_id="first_lab",
                submission_id=submission.id,
            ),
        ]
    )
    post = Post(
        tenant_id=school.id,
        author_id=user.id,
        title=f"{marker} post",
        body_markdown=f"{marker} post body",
        body_html=f"<p>{marker} post body</p>",
    )
    db.add(post)
    db.flush()
    comment = Comment(
        tenant_id=school.id,
        post_id=post.id,
        author_id=user.id,
        body_markdown=f"{marker} comment",
        body_html=f"<p>{marker} comment</p>",
    )
    db.add(comment)
    run = LabRun(
        tenant_id=school.id,
        user_id=user.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code=f"console.log('{marker} run code')",
        status="finished",
        outcome="completed",
        message=f"{marker} run message",
        output={"text": f"{marker} run output", "truncated": False, "bytes_total": 20},
        measurements=[{"name": "wall_ms", "label": f"{marker} wall", "value": 1, "text": "1 ms"}],
        times={},
        finished_at=utc_now(),
    )
    group = StudentGroup(tenant_id=school.id, name=f"{marker} group")
    db.add_all([run, group])
    db.flush()
    db.add_all(
        [
            GroupMember(tenant_id=school.id, group_id=group.id, user_id=user.id),
            Reaction(tenant_id=school.id, post_id=post.id, user_id=admin.id, kind="like"),
            Flag(tenant_id=school.id, comment_id=comment.id, reporter_id=admin.id, reason=marker),
            AuditEvent(tenant_id=school.id, actor_id=admin.id, action="user.created"),
            LoginAttempt(
                tenant_id=school.id, email=user.email, remote_addr="127.0.0.1", succeeded=True
            ),
            PasswordResetToken(
                tenant_id=school.id,
                user_id=user.id,
                token_hash=f"{slug}-token-hash",
                expires_at=utc_now(),
            ),
            CodeRedemption(tenant_id=school.id, code_id=code.id, user_id=user.id),
            AdaConsultation(
                tenant_id=school.id,
                user_id=admin.id,
                course_id="node-workers",
                question=f"{marker} question to A.D.A.",
                answer=f"{marker} answer",
                engine="offline",
            ),
        ]
    )
    db.commit()
    return SchoolData(
        school,
        user,
        admin,
        submission,
        report,
        grant,
        code,
        notification,
        post,
        comment,
        run,
        group,
    )


def snapshot(db: Session, school: School) -> dict[str, Any]:
    """Every row the school owns, and its own row, as plain values (to compare later)."""
    db.expire_all()
    tables: dict[str, Any] = {}
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if not issubclass(model, TenantOwned):
            continue
        rows = db.scalars(
            select(model).where(model.tenant_id == school.id).order_by(model.id)
        ).all()
        tables[model.__tablename__] = [_values(row) for row in rows]
    tables["schools"] = _values(db.get(School, school.id))
    return tables


def _values(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}


class ClientAtHost(FlaskClient):
    """A test client whose requests all go to one host name (one school)."""

    host = "localhost"

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://{self.host}")
        return super().open(*args, **kwargs)


def browser_at(app: Flask, host: str) -> Browser:
    """A new visitor of the school at `host`."""
    client = ClientAtHost(app, app.response_class, use_cookies=True)
    client.host = host
    return Browser(client)


def logged_in_at(app: Flask, host: str, user: User) -> Browser:
    """A visitor of `host` logged in as `user` (whose password is PASSWORD)."""
    browser = browser_at(app, host)
    response = browser.log_in(user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser
