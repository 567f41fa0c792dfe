"""Filing, listing and resolving error reports.

A report names the exact course and step it is about, and a submission only when that
submission is the reporter's own: the lookup goes through the request's scoped session
and the reporter's id, so another student's or school's id is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from portal.audit import record_action
from portal.bidi import strip_bidi
from portal.models import ErrorReport, School, Submission, User, utc_now
from portal.notifications.service import notify, notify_school_staff
from portal.paging import Page, paginate

MIN_MESSAGE, MAX_MESSAGE = 10, 2000
REPORTS_PER_HOUR = 10
# Where staff read the reports (the dashboard's list).
REPORTS_LINK = "/admin/reports"


class ReportRefused(Exception):
    """The report cannot be filed as given; the text is for the reporter."""


class ReportThrottled(Exception):
    """The reporter sent too many reports lately."""

    retry_after = 3600


class UnknownSubmission(LookupError):
    """The submission is not the reporter's (or does not exist)."""


def own_submission(session: Session, user: User, submission_id: int) -> Submission | None:
    """The reporter's own submission with this id, or None."""
    return session.scalars(
        select(Submission).where(
            Submission.id == submission_id,
            Submission.user_id == user.id,
            Submission.tenant_id == user.tenant_id,
        )
    ).one_or_none()


def file_report(
    session: Session,
    user: User,
    course_id: str,
    step_id: str,
    message: str,
    submission_id: int | None = None,
    step_title: str = "",
) -> ErrorReport:
    """Store the report (committed) and tell the school's staff; raises ReportRefused,
    ReportThrottled, UnknownSubmission. `step_title` names the step in that notice."""
    message = strip_bidi(message).strip()
    if not MIN_MESSAGE <= len(message) <= MAX_MESSAGE:
        raise ReportRefused(f"Describe the error in {MIN_MESSAGE} to {MAX_MESSAGE} characters.")
    if submission_id is not None and own_submission(session, user, submission_id) is None:
        raise UnknownSubmission(submission_id)
    an_hour_ago = utc_now() - timedelta(hours=1)
    recent = session.scalar(
        select(func.count())
        .select_from(ErrorReport)
        .where(ErrorReport.user_id == user.id, ErrorReport.created_at > an_hour_ago)
    )
    if recent >= REPORTS_PER_HOUR:
        raise ReportThrottled()
    report = ErrorReport(
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id=course_id,
        step_id=step_id,
        submission_id=submission_id,
        message=message,
        status="open",
    )
    session.add(report)
    notify_school_staff(
        session,
        user.tenant_id,
        "error_report",
        f"New error report on {step_title or step_id}",
        REPORTS_LINK,
    )
    session.commit()
    return report


@dataclass(frozen=True)
class ListedReport:
    """A report with its reporter and who resolved it (either may be gone)."""

    report: ErrorReport
    reporter: User | None
    resolver: User | None


def list_reports(session: Session, school: School, page: int = 1) -> Page:
    """The school's reports, open ones first, newest first within each."""
    reporter, resolver = aliased(User), aliased(User)
    statement = (
        select(ErrorReport, reporter, resolver)
        .outerjoin(reporter, reporter.id == ErrorReport.user_id)
        .outerjoin(resolver, resolver.id == ErrorReport.resolved_by_id)
        .where(ErrorReport.tenant_id == school.id)
        .order_by(
            case((ErrorReport.status == "open", 0), else_=1),
            ErrorReport.created_at.desc(),
            ErrorReport.id.desc(),
        )
    )
    found = paginate(session, statement, page, whole_rows=True)
    rows = [ListedReport(*row) for row in found.rows]
    return Page(rows, found.number, found.total, found.per_page)


def find_report(session: Session, school: School, report_id: int) -> ErrorReport | None:
    """The school's report with this id; another school's is missing."""
    return session.scalars(
        select(ErrorReport).where(ErrorReport.id == report_id, ErrorReport.tenant_id == school.id)
    ).one_or_none()


def set_resolved(
    session: Session, school: School, actor: User, report: ErrorReport, resolved: bool
) -> None:
    """Mark the report resolved, or open again; audited and committed."""
    status = "resolved" if resolved else "open"
    if report.status == status:
        return
    report.status = status
    report.resolved_by_id = actor.id if resolved else None
    report.resolved_at = utc_now() if resolved else None
    action = "error_report.resolved" if resolved else "error_report.reopened"
    record_action(session, school, actor, action, f"error_report:{report.id}")
    if resolved:
        _tell_reporter_resolved(session, actor, report)
    session.commit()


def _tell_reporter_resolved(session: Session, actor: User, report: ErrorReport) -> None:
    # The reporter hears back once staff act; not when they resolve their own report.
    reporter = session.get(User, report.user_id) if report.user_id else None
    if reporter is None or reporter.id == actor.id or not reporter.is_active:
        return
    notify(
        session,
        reporter,
        "error_report",
        f"Your error report #{report.id} was resolved by the school's staff. Thank you!",
        f"/courses/{report.course_id}/steps/{report.step_id}",
    )
