"""Grading activity across every school: submissions per day and pass rate per lab.

Both read through the cross-school session (`portal.db.open_cross_school_session`): the
numbers are the platform's, not one school's, and they hold no row of any school, only
counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Catalogue
from portal.models import Submission, SubmissionStatus, utc_now

DAYS_SHOWN = 30


@dataclass(frozen=True)
class DayCount:
    """Submissions made on one day (UTC)."""

    day: date
    submissions: int


@dataclass(frozen=True)
class LabPassRate:
    """How often a lab's graded submissions passed."""

    course_id: str
    lab_id: str
    title: str
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        """Passed over graded, 0 to 1."""
        return self.passed / self.graded if self.graded else 0.0


def submissions_per_day(cross_school: Session, days: int = DAYS_SHOWN) -> list[DayCount]:
    """One entry per day of the last `days` days, today included, oldest first."""
    today = utc_now().date()
    first = today - timedelta(days=days - 1)
    # Grouped here rather than in SQL: the date functions differ between SQLite and
    # PostgreSQL, and a month of submission times is small.
    since = datetime.combine(first, time.min, tzinfo=UTC)
    counts: dict[date, int] = {}
    for created_at in cross_school.scalars(
        select(Submission.created_at).where(Submission.created_at >= since)
    ):
        counts[created_at.date()] = counts.get(created_at.date(), 0) + 1
    return [
        DayCount(first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
        for n in range(days)
    ]


def pass_rate_per_lab(cross_school: Session, catalogue: Catalogue) -> list[LabPassRate]:
    """Every lab with a graded submission, by course and lab.

    "Graded" leaves out infrastructure failures (not gradable): they say nothing about
    how hard the lab is.
    """
    passed = func.sum(case((Submission.verdict == "passed", 1), else_=0))
    rows = cross_school.execute(
        select(Submission.course_id, Submission.lab_id, passed, func.count())
        .where(
            Submission.status == SubmissionStatus.GRADED.value,
            Submission.gradable.is_not(False),
        )
        .group_by(Submission.course_id, Submission.lab_id)
        .order_by(Submission.course_id, Submission.lab_id)
    ).all()
    rates = []
    for course_id, lab_id, passed_count, graded_count in rows:
        lab = catalogue.lab(course_id, lab_id)
        title = lab.title if lab is not None else f"{course_id}/{lab_id}"
        rates.append(LabPassRate(course_id, lab_id, title, int(passed_count or 0), graded_count))
    return rates
