"""Answering a quick question: grade it, and for a student record the attempt and reward
the first success.

Guests get the same grade and feedback, but nothing is stored for them. Once a question
is solved, later answers are still graded (a student may revisit) but change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Course
from portal.catalogue.content import Achievement, Question
from portal.gamification.service import add_exp, award_achievements, insert_once
from portal.models import QuestionProgress, User, utc_now
from portal.questions.grading import Grade, grade_form


@dataclass(frozen=True)
class AnswerOutcome:
    """The grade, and what it changed for the student."""

    grade: Grade
    recorded: bool  # False for guests
    exp_gained: int = 0
    unlocked: list[Achievement] = field(default_factory=list)
    first_solved: bool = False  # this answer solved the question for the first time


def answer_question(
    session: Session,
    user: User | None,
    course: Course,
    question: Question,
    form: Mapping[str, Any],
) -> AnswerOutcome:
    """Grade `form` as an answer to `question`; raises InvalidAnswer for a malformed one."""
    grade = grade_form(question, form)
    if user is None:
        return AnswerOutcome(grade, recorded=False)
    progress = _locked_progress(session, user, course.id, question.id)
    if progress.solved_at is not None:
        session.commit()
        return AnswerOutcome(grade, recorded=True)
    progress.attempts += 1
    if not grade.correct:
        session.commit()
        return AnswerOutcome(grade, recorded=True)
    progress.solved_at = utc_now()
    progress.first_try = progress.attempts == 1
    gained = add_exp(
        session,
        user,
        question.exp,
        f"Solved “{question.title or question.id}”",
        f"question:{course.id}:{question.id}",
    )
    unlocked = award_achievements(session, user, course)
    session.commit()
    gained += sum(achievement.exp for achievement in unlocked)
    return AnswerOutcome(grade, True, gained, unlocked, first_solved=True)


def _locked_progress(
    session: Session, user: User, course_id: str, question_id: str
) -> QuestionProgress:
    # Create the row if needed (a unique key makes a race harmless), then lock it so two
    # answers sent at once count as two attempts, one after the other.
    insert_once(
        session,
        QuestionProgress,
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id=course_id,
        question_id=question_id,
        attempts=0,
        first_try=False,
        created_at=utc_now(),
    )
    return session.scalars(
        select(QuestionProgress)
        .where(
            QuestionProgress.tenant_id == user.tenant_id,
            QuestionProgress.user_id == user.id,
            QuestionProgress.course_id == course_id,
            QuestionProgress.question_id == question_id,
        )
        .with_for_update()
    ).one()
