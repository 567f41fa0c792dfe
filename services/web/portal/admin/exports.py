"""Grades and progress as CSV files a spreadsheet opens safely.

A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return
first) gets a leading apostrophe: a student named `=HYPERLINK(...)` stays text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.admin.progress import LabRecord, lab_records, students
from portal.bidi import strip_bidi
from portal.catalogue.catalogue import Catalogue
from portal.gamification.levels import level_for
from portal.models import AchievementAward, ExpEntry, School, StepCompletion

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GRADES_HEADER = ("email", "name", "lab", "best_score", "best_verdict", "attempts", "last_submitted")
PROGRESS_HEADER = ("email", "name", "steps_completed", "exp", "level", "achievements")


def neutralise(value: object) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would run it as a formula,
    and no bidirectional control (see portal.bidi: a file is shown too)."""
    text = "" if value is None else strip_bidi(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def export_filename(school: School, kind: str, today: datetime) -> str:
    """`<school slug>-<kind>-<date>.csv`, in characters any file system accepts."""
    slug = re.sub(r"[^a-z0-9-]+", "-", school.slug.lower()).strip("-") or "school"
    return f"{slug}-{kind}-{today:%Y-%m-%d}.csv"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def grades_csv(session: Session, school: School, catalogue: Catalogue) -> str:
    """One row per student and lab of the catalogue."""
    records = lab_records(session, school)
    rows = []
    for user in students(session, school):
        for course in catalogue.courses.values():
            for lab in course.labs:
                record = records.get(user.id, {}).get(f"{course.id}/{lab.id}")
                record = record or LabRecord(course.id, lab.id)
                score = "" if record.best_score is None else f"{record.best_score:g}"
                rows.append(
                    (
                        user.email,
                        user.display_name,
                        lab.id,
                        score,
                        record.best_verdict or "",
                        record.attempts,
                        _when(record.last_submitted),
                    )
                )
    return to_csv(GRADES_HEADER, rows)


def progress_csv(session: Session, school: School, catalogue: Catalogue) -> str:
    """One row per student: steps completed of all, EXP, level and achievements."""
    steps_total = sum(len(course.steps) for course in catalogue.courses.values())
    completed = _count_by_user(session, StepCompletion.user_id, StepCompletion.tenant_id, school)
    exp = dict(
        session.execute(
            select(ExpEntry.user_id, func.sum(ExpEntry.amount))
            .where(ExpEntry.tenant_id == school.id)
            .group_by(ExpEntry.user_id)
        ).all()
    )
    held: dict[int, list[str]] = {}
    for user_id, achievement_id in session.execute(
        select(AchievementAward.user_id, AchievementAward.achievement_id)
        .where(AchievementAward.tenant_id == school.id)
        .order_by(AchievementAward.achievement_id)
    ):
        held.setdefault(user_id, []).append(achievement_id)
    rows = []
    for user in students(session, school):
        points = int(exp.get(user.id) or 0)
        level = level_for(points)
        rows.append(
            (
                user.email,
                user.display_name,
                f"{completed.get(user.id, 0)} of {steps_total}",
                points,
                f"{level.number} {level.title}",
                " ".join(held.get(user.id, [])),
            )
        )
    return to_csv(PROGRESS_HEADER, rows)


def _count_by_user(session: Session, user_column, tenant_column, school: School) -> dict[int, int]:
    return dict(
        session.execute(
            select(user_column, func.count())
            .where(tenant_column == school.id)
            .group_by(user_column)
        ).all()
    )
