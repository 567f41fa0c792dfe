"""The figures on the dashboard's home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import AdaConsultation, ErrorReport, Role, School, Submission, User, utc_now


@dataclass(frozen=True)
class SchoolFigures:
    """Counts a staff member checks first."""

    students: int
    submissions_today: int
    graded: int  # graded submissions that count (our own failures do not)
    passed: int
    open_reports: int
    ada_questions_month: int = 0  # questions to A.D.A. this calendar month (UTC)
    ada_questions_total: int = 0  # and since the school began

    @property
    def pass_rate(self) -> int | None:
        """Percent of counted submissions that passed; None before any was graded."""
        return round(100 * self.passed / self.graded) if self.graded else None


def school_figures(session: Session, school: School, now: datetime | None = None) -> SchoolFigures:
    """The school's counts; "today" starts at midnight UTC."""
    now = now or utc_now()
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    month_start = midnight.replace(day=1)

    def count(model, *conditions) -> int:
        return session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == school.id, *conditions)
        )

    counted = (Submission.status == "graded", Submission.gradable.is_(True))
    return SchoolFigures(
        students=count(User, User.role == Role.STUDENT.value, User.is_active.is_(True)),
        submissions_today=count(Submission, Submission.created_at >= midnight),
        graded=count(Submission, *counted),
        passed=count(Submission, *counted, Submission.verdict == "passed"),
        open_reports=count(ErrorReport, ErrorReport.status == "open"),
        ada_questions_month=count(AdaConsultation, AdaConsultation.created_at >= month_start),
        ada_questions_total=count(AdaConsultation),
    )
