"""What a page shows of a student's standing in a course: done steps, EXP and level.

A read model over the learner state and the levels, kept in gamification (not in the
course feature) because the profile, admin, lab and course pages all show it: the course
feature imports gamification, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Course
from portal.catalogue.content import Step
from portal.gamification.levels import Level, level_for
from portal.gamification.rules import LearnerState
from portal.gamification.service import learner_state
from portal.models import User


@dataclass(frozen=True)
class CourseProgress:
    """What a page needs to show a student's progress in a course."""

    state: LearnerState
    level: Level

    @property
    def exp(self) -> int:
        """The student's EXP, across every course."""
        return self.state.exp_total

    def step_done(self, step: Step) -> bool:
        """Whether the student completed `step`."""
        return step.id in self.state.completed_steps

    def solved(self, question_id: str) -> bool:
        """Whether the student solved the question."""
        return question_id in self.state.solved_questions

    def passed(self, lab_id: str) -> bool:
        """Whether the student passed the lab."""
        return lab_id in self.state.passed_labs

    def done_count(self, course: Course) -> int:
        """How many steps of `course` are complete."""
        return sum(1 for step in course.steps if self.step_done(step))


GUEST_PROGRESS = CourseProgress(LearnerState(), level_for(0))


def course_progress(session: Session, user: User | None, course: Course) -> CourseProgress:
    """The progress of `user` in `course`; empty for a guest."""
    if user is None:
        return GUEST_PROGRESS
    state = learner_state(session, user, course)
    return CourseProgress(state, level_for(state.exp_total))
