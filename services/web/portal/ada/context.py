"""What an answer is built from: the question, the passages it matched, the submission's facts.

Both engines answer from the same context, so the school's endpoint never sees more than
the offline engine would quote, and the citations are the same whoever answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy.orm import Session

from portal.ada.facts import SubmissionFacts, latest_submission, submission_facts
from portal.ada.passages import CourseIndex, Hit, Passage, get_course_index
from portal.catalogue.catalogue import Course
from portal.models import User

MAX_PASSAGES = 3
# A passage far below the best one is noise, however many words it shares.
MIN_SHARE_OF_BEST = 0.4
# Words that make a question about the student's own work.
SUBMISSION_WORDS = frozenset(
    """my mine submission submitted submit code grade graded grader verdict fail failed
    fails failing pass passed score check checks result results mark marks""".split()
)


@dataclass(frozen=True)
class Context:
    """Everything an engine may use to answer one question."""

    course: Course
    question: str
    hits: list[Hit]  # the relevant passages, best first; empty when the course has none
    facts: SubmissionFacts | None  # the student's latest submission, if any
    about_submission: bool  # the question asks about it, or it failed
    asked_about_submission: bool = False  # the question itself is about it
    # The passage that teaches about each diagnosed cause (when the answer is about the
    # submission and the course has one).
    readings: dict[str, Passage] = field(default_factory=dict)

    @property
    def cited_passages(self) -> list[Passage]:
        """The passages the answer draws on, best first, once each.

        When the question is about a submission whose causes were diagnosed, the steps
        that teach those causes answer it; the passages that merely share its words
        (often just the lab's name) would only dilute the answer.
        """
        if self.asked_about_submission and self.readings:
            passages = list(self.readings.values())
        else:
            passages = [hit.passage for hit in self.hits]
        return list(dict.fromkeys(passages))

    @property
    def submission_id(self) -> int | None:
        """The submission whose facts went into the answer."""
        return self.facts.submission_id if self.facts and self.about_submission else None


def asks_about_submission(question: str, facts: SubmissionFacts | None) -> bool:
    """Whether the question is about the student's own work (their lab, their code)."""
    if facts is None:
        return False
    lowered = question.lower()
    names_the_lab = facts.lab_title.lower() in lowered or facts.lab_id in lowered
    return names_the_lab or bool(set(re.findall(r"[a-z]+", lowered)) & SUBMISSION_WORDS)


def gather_context(session: Session, user: User, course: Course, question: str) -> Context:
    """The passages that match `question` and the facts of the student's last submission."""
    facts = None
    submission = latest_submission(session, user, course.id)
    if submission is not None:
        facts = submission_facts(submission, course.lab(submission.lab_id))
    asked = asks_about_submission(question, facts)
    about = facts is not None and (asked or facts.failed)
    query = f"{question} {facts.lab_title}" if asked and facts else question
    index = get_course_index(course.id)
    hits = index.search(query, MAX_PASSAGES) if index.is_about_the_course(query) else []
    if hits:
        hits = [hit for hit in hits if hit.score >= MIN_SHARE_OF_BEST * hits[0].score]
    readings = diagnosis_readings(index, facts) if asked and facts else {}
    return Context(course, question, hits, facts, about, asked, readings)


def diagnosis_readings(index: CourseIndex, facts: SubmissionFacts) -> dict[str, Passage]:
    """For each diagnosis, the passage of the course that best teaches its topic."""
    readings: dict[str, Passage] = {}
    for diagnosis in facts.diagnoses:
        found = index.search(diagnosis.topic, 1)
        if found:
            readings[diagnosis.cause] = found[0].passage
    return readings


def citations(context: Context) -> list[dict]:
    """The steps the answer drew on, once each, in rank order, with links to them."""
    cited: list[dict] = []
    for passage in context.cited_passages:
        if any(c["step_id"] == passage.step_id for c in cited):
            continue
        cited.append(
            citation(context.course, passage.step_id, passage.step_title, passage.step_number)
        )
    return cited


def citation(course: Course, step_id: str, title: str, number: int, anchor: str = "") -> dict:
    """One citation: the step, its title and number, and where it is."""
    url = url_for("courses.step_page", course_id=course.id, step_id=step_id)
    return {
        "step_id": step_id,
        "title": title,
        "number": number,
        "url": f"{url}#{anchor}" if anchor else url,
    }


def guide_step(course: Course):
    """The step that shows the course's guide, if one does."""
    for step in course.steps:
        if any(getattr(block, "kind", "") == "guide" for block in step.blocks):
            return step
    return None
