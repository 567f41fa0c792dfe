"""Checks across a course's files: ids unique course-wide, references that resolve.

A step may place a lab only if the course lists it (and a premium lab only as optional,
or students without premium could never complete the step); an achievement's rule may only name
labs, questions and steps that exist. These are the mistakes that would otherwise show up
as a badge nobody can ever earn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.catalogue.catalogue import Course
from portal.catalogue.content import LabBlock
from portal.catalogue.located_yaml import LocatedDocument

if TYPE_CHECKING:
    from portal.catalogue.loader import CourseReader


def check_references(
    reader: CourseReader,
    course_document: LocatedDocument,
    achievements_document: LocatedDocument | None,
    course: Course,
) -> None:
    """Record in `reader` every id clash and dangling reference of `course`."""
    lab_ids = {lab.id for lab in course.labs}
    premium_labs = {lab.id for lab in course.labs if lab.premium}
    step_ids: set[str] = set()
    question_ids: set[str] = set()
    for index, step in enumerate(course.steps):
        if step.id in step_ids:
            reader.problem(course_document, ("steps", index), f"step id {step.id!r} is twice")
        step_ids.add(step.id)
        for block in step.blocks:
            if isinstance(block, LabBlock) and block.lab_id not in lab_ids:
                reader.problem(
                    course_document,
                    ("steps", index),
                    f"step {step.id} places unknown lab {block.lab_id!r}",
                )
            elif isinstance(block, LabBlock) and block.required and block.lab_id in premium_labs:
                # A student without premium could never complete the step.
                reader.problem(
                    course_document,
                    ("steps", index),
                    f"step {step.id} requires premium lab {block.lab_id!r}: "
                    "place it with `required: false`",
                )
        for question in step.questions:
            if question.id in question_ids:
                reader.problem(
                    course_document,
                    ("steps", index),
                    f"step {step.id}: question id {question.id!r} is used twice in the course",
                )
            question_ids.add(question.id)
    if achievements_document is None:
        return
    known = {
        "lab_passed": lab_ids,
        "question_solved": question_ids,
        "first_try": question_ids | {"any"},
    }
    for index, achievement in enumerate(course.achievements):
        rule = achievement.rule
        where = (index, "rule", rule.kind)
        if rule.kind in known and rule.target not in known[rule.kind]:
            reader.problem(achievements_document, where, f"no such id: {rule.target!r}")
        if rule.kind == "steps_completed" and isinstance(rule.target, tuple):
            for step_id in rule.target:
                if step_id not in step_ids:
                    reader.problem(achievements_document, where, f"no such step: {step_id!r}")
