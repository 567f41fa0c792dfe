"""The catalogue of courses, their steps and labs, as read from `content/`.

Content is loaded once when the app is created (a bad file stops the start, with every
problem as `path:line: message`) and is read-only afterwards, so `get_catalogue()` hands
out the app's one instance and there is nothing to tear down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from contract import Limits
from portal.catalogue.content import Achievement, Author, GlossaryEntry, Guide, Question, Step


@dataclass(frozen=True)
class Lab:
    """A code lab: what the student reads, what they start from, how it is graded."""

    id: str
    course_id: str
    title: str
    mission: str  # Markdown
    grader: str  # the grader service that grades it, e.g. "node-sandbox"
    queue_name: str  # the queue that grader consumes (GRADER_QUEUES, portal.graders)
    kind: str  # the grading program, sent to the grader as `lab_kind`
    starter_code: str
    limits: Limits
    check_config: dict[str, Any] = field(default_factory=dict)
    entrypoint: str = "main.js"
    exp: int = 100  # EXP for the first pass
    solution: Path | None = None  # the reference solution, graded by the content tests
    premium: bool = False  # only students with premium open it and submit to it
    # Each check's title as students read it, by the name the grader reports it under.
    check_titles: Mapping[str, str] = field(default_factory=dict)

    @property
    def named(self) -> str:
        """The lab as a sentence names it: "the Thread Lab", "the lab “Unblock the Loop”".

        A title that is itself a noun ending in "Lab" takes "the"; any other title (often an
        imperative, "Unblock the Loop", "Beat the GIL") is quoted after "the lab", so button
        texts built from it stay grammatical ("Unlock the lab “Unblock the Loop” ...").
        """
        if self.title.split()[-1:] == ["Lab"]:
            return f"the {self.title}"
        return f"the lab “{self.title}”"


def check_title(lab: Lab | None, name: str) -> str:
    """A check's title from the lab's content (Markdown), else its name in words.

    Every page and A.D.A. name a check by it, never by the identifier the grader reports
    (`imports_worker_threads`); the content tests give every shipped lab's checks a title.
    """
    titles: Mapping[str, str] = lab.check_titles if lab is not None else {}
    return titles.get(name) or name.replace("_", " ").capitalize()


def with_check_titles(text: str, lab: Lab | None) -> str:
    """`text` with each of the lab's check identifiers replaced by the check's title, quoted.

    A name in backticks is replaced whatever it is; a bare one only as a whole word with an
    underscore in it, so that a check named like a plain word (`parses`) leaves prose alone.
    """
    if lab is None or not lab.check_titles:
        return text
    names = sorted(lab.check_titles, key=len, reverse=True)  # the longest name wins
    alternatives = "|".join(re.escape(name) for name in names)
    bare = "|".join(re.escape(name) for name in names if "_" in name)
    pattern = rf"`({alternatives})`" + (rf"|(?<![\w`])({bare})(?![\w`])" if bare else "")

    def title(match: re.Match[str]) -> str:
        return f"“{check_title(lab, match.group(1) or match.group(2))}”"

    return re.sub(pattern, title, text)


@dataclass(frozen=True)
class Course:
    """A course: its steps in order, its labs, glossary, guide and achievements."""

    id: str
    title: str
    summary: str
    labs: tuple[Lab, ...]
    steps: tuple[Step, ...] = ()
    authors: tuple[Author, ...] = ()
    last_reviewed: str = ""
    glossary: tuple[GlossaryEntry, ...] = ()
    guide: Guide | None = None
    achievements: tuple[Achievement, ...] = ()

    def lab(self, lab_id: str) -> Lab | None:
        """The lab with this id, if the course has one."""
        return next((lab for lab in self.labs if lab.id == lab_id), None)

    def step(self, step_id: str) -> Step | None:
        """The step with this id, if any."""
        return next((step for step in self.steps if step.id == step_id), None)

    def question(self, question_id: str) -> tuple[Step, Question] | None:
        """The question with this id and the step that holds it, if any."""
        for step in self.steps:
            for question in step.questions:
                if question.id == question_id:
                    return step, question
        return None

    def step_of_lab(self, lab_id: str) -> Step | None:
        """The first step that places lab `lab_id`, if one does."""
        for step in self.steps:
            if any(getattr(block, "lab_id", None) == lab_id for block in step.blocks):
                return step
        return None

    def unplaced_labs(self) -> list[Lab]:
        """Labs no step places: the course page lists them as extra simulations."""
        return [lab for lab in self.labs if self.step_of_lab(lab.id) is None]

    @property
    def has_premium_content(self) -> bool:
        """Whether any step or lab of the course needs premium (the catalogue says so)."""
        return any(step.premium for step in self.steps) or any(lab.premium for lab in self.labs)

    def achievement(self, achievement_id: str) -> Achievement | None:
        """The achievement with this id, if the course declares it."""
        return next((a for a in self.achievements if a.id == achievement_id), None)


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

    def achievement(self, achievement_id: str) -> Achievement | None:
        """The achievement with this id in any course (ids are unique platform-wide)."""
        for course in self.courses.values():
            found = course.achievement(achievement_id)
            if found is not None:
                return found
        return None


def init_app(app: Flask) -> None:
    """Load the content under CONTENT_DIR; raises ContentError listing every problem."""
    # Imported here because the loader builds this module's classes.
    from portal.catalogue.loader import load_catalogue

    app.extensions["catalogue"] = load_catalogue(
        app.config["CONTENT_DIR"], app.config["GRADER_QUEUES"]
    )


def get_catalogue() -> Catalogue:
    """The current app's catalogue."""
    return current_app.extensions["catalogue"]
