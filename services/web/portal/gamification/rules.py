"""Achievement rules, as declared in content, checked against what a student has done.

The rules are data (`portal.catalogue.content.Rule`): this module says what each kind
means. It is pure: the service gathers the student's `LearnerState` from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.catalogue.catalogue import Course
from portal.catalogue.content import Achievement, Rule


@dataclass(frozen=True)
class LearnerState:
    """What a student has achieved in one course, plus their EXP across all courses."""

    passed_labs: frozenset[str] = frozenset()
    solved_questions: frozenset[str] = frozenset()
    first_try_questions: frozenset[str] = frozenset()
    completed_steps: frozenset[str] = frozenset()
    exp_total: int = 0


def rule_holds(rule: Rule, state: LearnerState, course: Course) -> bool:
    """Whether `state` satisfies `rule` in `course`."""
    if rule.kind == "lab_passed":
        return rule.target in state.passed_labs
    if rule.kind == "question_solved":
        return rule.target in state.solved_questions
    if rule.kind == "first_try":
        if rule.target == "any":
            return bool(state.first_try_questions)
        return rule.target in state.first_try_questions
    if rule.kind == "steps_completed":
        wanted = [step.id for step in course.steps] if rule.target == "all" else rule.target
        return set(wanted) <= state.completed_steps
    if rule.kind == "exp_at_least":
        return isinstance(rule.target, int) and state.exp_total >= rule.target
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def earned_achievements(course: Course, state: LearnerState) -> list[Achievement]:
    """The course's achievements whose rule `state` satisfies, in content order."""
    return [a for a in course.achievements if rule_holds(a.rule, state, course)]
