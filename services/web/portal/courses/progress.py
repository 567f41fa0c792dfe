"""Completing a step of a course, and what is still missing before one can be.

A step is complete once its questions are solved and its required labs passed, and the
student has said so by moving on ("Complete step"), so reading-only steps count too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Course
from portal.catalogue.content import Achievement, Step
from portal.gamification.rules import LearnerState
from portal.gamification.service import award_achievements, insert_once, learner_state
from portal.models import StepCompletion, User, utc_now


def missing_for_step(state: LearnerState, step: Step, course: Course) -> list[str]:
    """What is left to do before `step` can be completed, in words for the student."""
    missing = [
        f"solve the question “{_short(question.prompt)}”"
        for question in step.questions
        if question.id not in state.solved_questions
    ]
    for lab_id in step.required_labs:
        if lab_id not in state.passed_labs:
            lab = course.lab(lab_id)
            missing.append(f"pass {lab.named if lab else lab_id}")
    return missing


@dataclass(frozen=True)
class StepOutcome:
    """Whether the step is now complete, what is missing if not, what unlocked."""

    completed: bool
    missing: list[str] = field(default_factory=list)
    unlocked: list[Achievement] = field(default_factory=list)


def complete_step(session: Session, user: User, course: Course, step: Step) -> StepOutcome:
    """Mark `step` complete if its questions and labs are done; commits."""
    missing = missing_for_step(learner_state(session, user, course), step, course)
    if missing:
        return StepOutcome(False, missing)
    insert_once(
        session,
        StepCompletion,
        tenant_id=user.tenant_id,
        user_id=user.id,
        course_id=course.id,
        step_id=step.id,
        completed_at=utc_now(),
    )
    unlocked = award_achievements(session, user, course)
    session.commit()
    return StepOutcome(True, [], unlocked)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
