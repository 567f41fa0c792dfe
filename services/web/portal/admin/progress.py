"""What the staff see of a student's work: steps, questions, labs, EXP and achievements.

Lab records are folded in Python from one query over the submissions' small columns, so
a page of students or a whole-school export costs one query, not one per student.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Catalogue, Course
from portal.gamification.levels import Level, level_for
from portal.gamification.progress import CourseProgress, course_progress
from portal.gamification.service import held_achievements
from portal.models import ExpEntry, Role, School, Submission, SubmissionStatus, User


@dataclass
class LabRecord:
    """A student's attempts at one lab: how many, the best of them and the last one."""

    course_id: str
    lab_id: str
    attempts: int = 0
    best_score: float | None = None
    best_verdict: str | None = None
    last_submitted: datetime | None = None

    def add(self, verdict: str | None, score: float | None, counts: bool, at: datetime) -> None:
        """Fold one submission in; only graded, counted ones can be the best."""
        self.attempts += 1
        if self.last_submitted is None or at > self.last_submitted:
            self.last_submitted = at
        if not counts or score is None:
            return
        # A pass beats any score; between two passes or two fails, the higher score wins.
        rank = (verdict == "passed", score)
        if self.best_score is None or rank > (self.best_verdict == "passed", self.best_score):
            self.best_score, self.best_verdict = score, verdict


def lab_records(
    session: Session, school: School, user_id: int | None = None
) -> dict[int, dict[str, LabRecord]]:
    """Per student id (all, or only `user_id`), per "course/lab", the record of attempts."""
    statement = select(
        Submission.user_id,
        Submission.course_id,
        Submission.lab_id,
        Submission.verdict,
        Submission.score,
        Submission.gradable,
        Submission.status,
        Submission.created_at,
    ).where(Submission.tenant_id == school.id)
    if user_id is not None:
        statement = statement.where(Submission.user_id == user_id)
    rows = session.execute(statement)
    records: dict[int, dict[str, LabRecord]] = defaultdict(dict)
    for row in rows:
        key = f"{row.course_id}/{row.lab_id}"
        record = records[row.user_id].setdefault(key, LabRecord(row.course_id, row.lab_id))
        counts = row.status == SubmissionStatus.GRADED and bool(row.gradable)
        record.add(row.verdict, row.score, counts, row.created_at)
    return records


@dataclass(frozen=True)
class CourseReport:
    """One course as a student has done it."""

    course: Course
    progress: CourseProgress
    labs: list[LabRecord]

    @property
    def questions_total(self) -> int:
        return sum(len(step.questions) for step in self.course.steps)


@dataclass(frozen=True)
class StudentReport:
    """Everything the progress page shows about one student."""

    user: User
    exp: int
    level: Level
    achievements: set[str]
    courses: list[CourseReport] = field(default_factory=list)


def student_report(
    session: Session, school: School, catalogue: Catalogue, user: User
) -> StudentReport:
    """The progress page of `user`, across every course of the catalogue."""
    records = lab_records(session, school, user.id).get(user.id, {})
    courses = []
    for course in catalogue.courses.values():
        progress = course_progress(session, user, course)
        labs = [
            records.get(f"{course.id}/{lab.id}", LabRecord(course.id, lab.id))
            for lab in course.labs
        ]
        courses.append(CourseReport(course, progress, labs))
    exp = courses[0].progress.exp if courses else _exp(session, user)
    return StudentReport(user, exp, level_for(exp), held_achievements(session, user), courses)


def _exp(session: Session, user: User) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ExpEntry.amount), 0)).where(ExpEntry.user_id == user.id)
        )
        or 0
    )


def students(session: Session, school: School) -> list[User]:
    """The school's students, by email (inactive ones too: their work still counts)."""
    return list(
        session.scalars(
            select(User)
            .where(User.tenant_id == school.id, User.role == Role.STUDENT.value)
            .order_by(User.email)
        )
    )
