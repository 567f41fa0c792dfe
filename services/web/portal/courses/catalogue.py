"""The catalogue of courses and labs, as read from `content/`.

Content is loaded once when the app is created (a bad file stops the start, with the
file and the field in the message) and is read-only afterwards, so `get_catalogue()`
hands out the app's one instance and there is nothing to tear down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from contract import GRADER_QUEUES, Limits


@dataclass(frozen=True)
class Lab:
    """A code lab: what the student reads, what they start from, how it is graded."""

    id: str
    course_id: str
    title: str
    mission: str  # Markdown
    grader: str  # a key of contract.GRADER_QUEUES
    kind: str  # the grading program, sent to the grader as `lab_kind`
    starter_code: str
    limits: Limits
    check_config: dict[str, Any] = field(default_factory=dict)
    entrypoint: str = "main.js"

    @property
    def queue_name(self) -> str:
        """The queue its grader consumes."""
        return GRADER_QUEUES[self.grader]


@dataclass(frozen=True)
class Course:
    """A course and its labs, in the order the content lists them."""

    id: str
    title: str
    summary: str
    labs: tuple[Lab, ...]

    def lab(self, lab_id: str) -> Lab | None:
        """The lab with this id, if the course has one."""
        return next((lab for lab in self.labs if lab.id == lab_id), None)


@dataclass(frozen=True)
class Catalogue:
    """Every course the platform knows, by id."""

    courses: dict[str, Course]

    def course(self, course_id: str) -> Course | None:
        """The course with this id, if any."""
        return self.courses.get(course_id)

    def lab(self, course_id: str, lab_id: str) -> Lab | None:
        """The lab `lab_id` of course `course_id`, if both exist."""
        course = self.course(course_id)
        return course.lab(lab_id) if course else None


def init_app(app: Flask) -> None:
    """Load the content under CONTENT_DIR; raises ContentError on a bad file."""
    # Imported here because the loader builds this module's classes.
    from portal.courses.loader import load_catalogue

    app.extensions["catalogue"] = load_catalogue(app.config["CONTENT_DIR"])


def get_catalogue() -> Catalogue:
    """The current app's catalogue."""
    return current_app.extensions["catalogue"]
