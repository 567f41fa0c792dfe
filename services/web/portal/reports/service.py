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

from portal.admin.paging import Page, paginate
from portal.audit import record_action
from portal.models import ErrorReport, School, Submission, User, utc_now

MIN_MESSAGE, MAX_MESSAGE = 10, 2000
REPORTS_PER_HOUR = 10


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
) -> ErrorReport:
    """Store the report (committed); raises ReportRefused, ReportThrottled, UnknownSubmission."""
    message = message.strip()
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
    session.commit()
