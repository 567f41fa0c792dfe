"""The school's submissions for its staff: filtered lists and one submission in full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from portal.models import School, Submission, User
from portal.paging import Page, paginate


@dataclass(frozen=True)
class SubmissionFilter:
    """What the staff narrowed the list to; empty strings mean "any"."""

    lab_id: str = ""
    verdict: str = ""
    student: str = ""  # a piece of the student's email


def list_submissions(
    session: Session, school: School, chosen: SubmissionFilter, page: int = 1
) -> Page:
    """Rows of (submission, its student), newest first."""
    statement: Select = (
        select(Submission, User)
        .join(User, User.id == Submission.user_id)
        .where(Submission.tenant_id == school.id)
    )
    if chosen.lab_id:
        statement = statement.where(Submission.lab_id == chosen.lab_id)
    if chosen.verdict:
        statement = statement.where(Submission.verdict == chosen.verdict)
    if chosen.student.strip():
        needle = chosen.student.strip().lower()
        statement = statement.where(func.lower(User.email).contains(needle, autoescape=True))
    statement = statement.order_by(Submission.created_at.desc(), Submission.id.desc())
    return paginate(session, statement, page, whole_rows=True)


def find_submission(session: Session, school: School, submission_id: int) -> Submission | None:
    """The school's submission with this id, whoever made it; another school's is missing."""
    return session.scalars(
        select(Submission).where(Submission.id == submission_id, Submission.tenant_id == school.id)
    ).one_or_none()


def measurement_rows(measurements: Any, prefix: str = "") -> list[tuple[str, str]]:
    """The measurements flattened to (dotted name, value) rows for a table."""
    if not isinstance(measurements, dict):
        return []
    rows: list[tuple[str, str]] = []
    for key in sorted(measurements, key=str):
        name = f"{prefix}{key}"
        value = measurements[key]
        if isinstance(value, dict):
            rows.extend(measurement_rows(value, f"{name}."))
        elif isinstance(value, float):
            rows.append((name, f"{value:g}"))
        else:
            rows.append((name, str(value)))
    return rows
