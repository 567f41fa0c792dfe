"""A school's worth of students with steps and lab attempts, for the gradebook's tests
and its bench (bench/gradebook.py): rows are bulk-inserted, so 500 students take a moment.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Course
from portal.models import Role, School, StepCompletion, Submission, User, utc_now


def fill_school(
    session: Session,
    school: School,
    course: Course,
    students: int,
    password_hash: str,
    first: int = 0,
) -> None:
    """`students` more students at `school`, numbered from `first`: student n completed
    n % (steps + 1) steps of `course` and made n % 4 graded attempts at each of its labs
    (committed)."""
    now = utc_now()
    session.execute(
        insert(User),
        [
            {
                "tenant_id": school.id,
                "email": f"student{n:04d}@example.org",
                "display_name": f"Student {n:04d}",
                "password_hash": password_hash,
                "role": Role.STUDENT.value,
            }
            for n in range(first, first + students)
        ],
    )
    emails = [f"student{n:04d}@example.org" for n in range(first, first + students)]
    ids = dict(
        session.execute(
            select(User.email, User.id).where(User.tenant_id == school.id, User.email.in_(emails))
        ).all()
    )
    completions, submissions = [], []
    for n, email in enumerate(emails, start=first):
        user_id = ids[email]
        for step in course.steps[: n % (len(course.steps) + 1)]:
            completions.append(
                {
                    "tenant_id": school.id,
                    "user_id": user_id,
                    "course_id": course.id,
                    "step_id": step.id,
                    "completed_at": now - timedelta(hours=n % 48),
                }
            )
        for lab in course.labs:
            for attempt in range(n % 4):
                score = min(1.0, 0.25 * (attempt + 1) + (n % 3) * 0.1)
                submissions.append(
                    {
                        "tenant_id": school.id,
                        "user_id": user_id,
                        "course_id": course.id,
                        "lab_id": lab.id,
                        "code": "// attempt",
                        "entrypoint": lab.entrypoint,
                        "status": "graded",
                        "verdict": "passed" if score >= 1.0 else "failed",
                        "score": score,
                        "gradable": True,
                        "created_at": now - timedelta(hours=attempt),
                        "graded_at": now,
                    }
                )
    if completions:
        session.execute(insert(StepCompletion), completions)
    if submissions:
        session.execute(insert(Submission), submissions)
    session.commit()
