"""The course content cut into passages A.D.A. can find and cite, indexed once per app.

Each passage knows the step that shows it (id, number, title) and an anchor on that
page: a step's prose is cut by paragraph, each callout is one passage, each glossary term
and each section of the guide is one (cited on the step that shows the glossary or the
guide), each lab's mission is one (cited on the step that places the lab), and so is each
question's hints. Content is read-only after start-up, so like the catalogue the index is
built in `init_app` and shared by every request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app

from portal.ada.ranking import Bm25Index
from portal.ada.words import terms
from portal.catalogue.catalogue import Course, get_catalogue
from portal.catalogue.content import BlanksQuestion, Callout, ChoiceQuestion, Prose, Step

HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
# The glossary, the guide and the question hints restate what the steps teach: at an
# equal match, the step that teaches a subject is the better source to send a student to.
SOURCE_WEIGHT = {
    "lesson": 1.0,
    "callout": 1.0,
    "lab": 1.0,
    "hint": 0.85,
    "glossary": 0.8,
    "guide": 0.8,
}
# Everyday words of a student's question, and the words the course uses for them.
QUERY_SYNONYMS = {
    "speed": "speedup faster parallel",
    "fast": "speedup faster parallel",
    "slow": "block stall late",
    "freeze": "block stall",
    "frozen": "block stall",
    "hang": "block stall",
    "memory": "buffer maxbuffer",
    "thread": "worker",
}


@dataclass(frozen=True)
class Passage:
    """A piece of the course, with where it is shown."""

    step_id: str
    step_number: int
    step_title: str
    source: str  # "lesson", "callout", "glossary", "guide", "lab", "hint"
    heading: str  # the callout's, term's, section's or lab's title; "" for plain prose
    text: str  # Markdown, as in the content
    anchor: str = ""  # a fragment on the step page ("term-event-loop"), or ""


@dataclass(frozen=True)
class Hit:
    """A passage that matched a query, with its BM25 score."""

    passage: Passage
    score: float


class CourseIndex:
    """The passages of one course and their BM25 index."""

    def __init__(self, course: Course) -> None:
        self.passages = course_passages(course)
        passages = self.passages
        self._index = Bm25Index([(p.text, f"{p.step_title} {p.heading}") for p in passages])

        self.topic_terms = topic_terms(course)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """The passages that best match `query`, best first (lessons before restatements)."""
        hits = [
            Hit(self.passages[s.index], s.score * SOURCE_WEIGHT[self.passages[s.index].source])
            for s in self._index.search(expand_query(query), len(self.passages))
        ]
        hits.sort(key=lambda hit: -hit.score)  # stable: equal scores keep the BM25 order
        return hits[:limit]

    def is_about_the_course(self, query: str) -> bool:
        """Whether `query` names any subject of the course (a step, a lab, a glossary term).

        Words such as "life" or "check" occur in the content too, so a BM25 match alone
        does not mean the course can answer; naming one of its subjects does.
        """
        return bool(set(terms(expand_query(query))) & self.topic_terms)


def expand_query(query: str) -> str:
    """The query with the course's words added for the everyday ones it uses."""
    extra = [
        QUERY_SYNONYMS[word]
        for word in re.findall(r"[a-z]+", query.lower())
        if word in QUERY_SYNONYMS
    ]
    return " ".join([query, *extra])


def topic_terms(course: Course) -> frozenset[str]:
    """The terms of the course's subjects: step and lab titles, glossary terms, guide headings."""
    names = [step.title for step in course.steps]
    names += [lab.title for lab in course.labs]
    names += [entry.term for entry in course.glossary]
    if course.guide is not None:
        names += [heading for heading, _text in guide_sections(course.guide.markdown)]
    generic = {"check", "lab", "wrap", "up", "fix", "mastery", "sort", "problem", "choos"}
    found = {term for name in names for term in terms(name) if not term.isdigit()}
    return frozenset(found - generic)


def course_passages(course: Course) -> list[Passage]:
    """Every passage of `course`, in the order a student meets them."""
    passages: list[Passage] = []
    for step in course.steps:
        passages.extend(_step_passages(course, step))
    return passages


def _step_passages(course: Course, step: Step) -> list[Passage]:
    def passage(source: str, heading: str, text: str, anchor: str = "") -> Passage:
        return Passage(step.id, step.number, step.title, source, heading, text.strip(), anchor)

    found = []
    for block in step.blocks:
        if isinstance(block, Prose):
            found.extend(passage("lesson", "", part) for part in paragraphs(block.markdown))
        elif isinstance(block, Callout):
            found.append(passage("callout", block.title, block.markdown))
        elif block.kind == "lab":
            lab = course.lab(block.lab_id)
            if lab is not None:
                found.append(passage("lab", lab.title, lab.mission, f"lab-{lab.id}"))
        elif block.kind == "glossary":
            found.extend(
                passage(
                    "glossary", entry.term.replace("`", ""), entry.definition, f"term-{entry.id}"
                )
                for entry in course.glossary
            )
        elif block.kind == "guide" and course.guide is not None:
            found.extend(
                passage("guide", heading or course.guide.title, text, "guide-title")
                for heading, text in guide_sections(course.guide.markdown)
            )
        elif block.kind in ("choice", "ordering", "blanks"):
            hints = question_hints(block)
            if hints:
                found.append(passage("hint", block.title or "Question", " ".join(hints)))
    return [p for p in found if p.text]


def paragraphs(markdown: str) -> list[str]:
    """The Markdown's paragraphs; one that ends with ":" stays with what it introduces."""
    merged: list[str] = []
    for part in (p.strip() for p in re.split(r"\n\s*\n", markdown)):
        if not part:
            continue
        if merged and merged[-1].endswith(":"):
            merged[-1] = f"{merged[-1]}\n\n{part}"
        else:
            merged.append(part)
    return merged


def guide_sections(markdown: str) -> list[tuple[str, str]]:
    """The guide as (heading, text) sections; the text before the first heading has none."""
    sections = []
    starts = [
        (match.start(), match.end(), match.group(1).strip()) for match in HEADING.finditer(markdown)
    ]
    first = starts[0][0] if starts else len(markdown)
    sections.append(("", markdown[:first]))
    for position, (_start, end, heading) in enumerate(starts):
        following = starts[position + 1][0] if position + 1 < len(starts) else len(markdown)
        sections.append((heading, markdown[end:following]))
    return [(heading, text.strip()) for heading, text in sections if text.strip()]


def question_hints(question) -> list[str]:
    """A question's prompt and hints: what it teaches without giving the answer away."""
    hints = [question.prompt, question.hint]
    if isinstance(question, ChoiceQuestion):
        hints.extend(option.hint for option in question.options)
    if isinstance(question, BlanksQuestion):
        hints.extend(blank.hint for blank in question.blanks)
    return [hint.strip() for hint in hints if hint and hint.strip()]


def init_app(app: Flask) -> None:
    """Index every course of the app's catalogue (after `catalogue.init_app`)."""
    catalogue = app.extensions["catalogue"]
    app.extensions["ada_index"] = {
        course_id: CourseIndex(course) for course_id, course in catalogue.courses.items()
    }


def get_course_index(course_id: str) -> CourseIndex:
    """The index of one course of the current app (built on first use if missing)."""
    indexes = current_app.extensions.setdefault("ada_index", {})
    if course_id not in indexes:
        indexes[course_id] = CourseIndex(get_catalogue().courses[course_id])
    return indexes[course_id]
