"""What a course step is made of: blocks of prose, code, questions and labs.

These frozen dataclasses are what the loader builds from `content/` once at start-up;
templates dispatch on each block's `kind`, graders on each question's. Ids come from the
content and are stable, so progress stored against them survives any edit of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

# `[[blank-id]]` marks a blank in a fill-in-the-blanks template.
BLANK_MARKER = re.compile(r"\[\[([a-z0-9]+(?:-[a-z0-9]+)*)\]\]")


@dataclass(frozen=True)
class Prose:
    """Markdown text."""

    kind: ClassVar[str] = "prose"
    markdown: str


@dataclass(frozen=True)
class CodeSample:
    """A code sample; a runnable one prints exactly `output` (the content test runs it)."""

    kind: ClassVar[str] = "code"
    language: str
    code: str
    caption: str = ""
    runnable: bool = False
    output: str = ""


@dataclass(frozen=True)
class Callout:
    """A highlighted box: a tip, a piece of information or a warning."""

    kind: ClassVar[str] = "callout"
    tone: str
    title: str
    markdown: str


@dataclass(frozen=True)
class LabBlock:
    """A code lab placed in a step; `required` labs must pass for the step to count."""

    kind: ClassVar[str] = "lab"
    lab_id: str
    required: bool = True


@dataclass(frozen=True)
class CourseSection:
    """The course's glossary, guide or achievements, shown where the block stands."""

    kind: str


@dataclass(frozen=True)
class Option:
    """One answer of a multiple-choice question; `hint` is shown when it is picked wrongly."""

    id: str
    text: str
    hint: str = ""


@dataclass(frozen=True)
class ChoiceQuestion:
    """Pick the one right option."""

    kind: ClassVar[str] = "choice"
    id: str
    prompt: str
    options: tuple[Option, ...]
    answer: str
    hint: str
    success: str
    exp: int
    title: str = ""  # the heading; a default per kind when empty


@dataclass(frozen=True)
class OrderingItem:
    """One thing to put in order."""

    id: str
    text: str


@dataclass(frozen=True)
class OrderingQuestion:
    """Put the items in order; `items` is the right order, `shuffled` the starting one."""

    kind: ClassVar[str] = "ordering"
    id: str
    prompt: str
    items: tuple[OrderingItem, ...]
    shuffled: tuple[str, ...]
    hint: str
    success: str
    exp: int
    title: str = ""  # the heading; a default per kind when empty

    def starting_items(self) -> list[OrderingItem]:
        """The items in the order the student first sees them."""
        by_id = {item.id: item for item in self.items}
        return [by_id[item_id] for item_id in self.shuffled]


@dataclass(frozen=True)
class Blank:
    """One gap in a template, with its screen-reader label and the accepted answers."""

    id: str
    label: str
    answers: tuple[str, ...]
    hint: str = ""
    case_sensitive: bool = True


@dataclass(frozen=True)
class BlanksQuestion:
    """Fill the `[[id]]` gaps of a code template."""

    kind: ClassVar[str] = "blanks"
    id: str
    prompt: str
    language: str
    template: str
    blanks: tuple[Blank, ...]
    hint: str
    success: str
    exp: int
    title: str = ""  # the heading; a default per kind when empty

    def segments(self) -> list[str | Blank]:
        """The template as text pieces and blanks, in order, for rendering."""
        by_id = {blank.id: blank for blank in self.blanks}
        parts: list[str | Blank] = []
        for index, piece in enumerate(BLANK_MARKER.split(self.template)):
            if index % 2 == 0:
                if piece:
                    parts.append(piece)
            else:
                parts.append(by_id[piece])
        return parts


Question = ChoiceQuestion | OrderingQuestion | BlanksQuestion
Block = Prose | CodeSample | Callout | LabBlock | CourseSection | Question
QUESTION_KINDS = ("choice", "ordering", "blanks")


@dataclass(frozen=True)
class Step:
    """One step of a course; `number` counts from 1 in the course's order."""

    id: str
    number: int
    title: str
    public: bool  # guests may read it and answer its questions
    blocks: tuple[Block, ...]
    premium: bool = False  # only students with premium see its blocks and complete it

    @property
    def questions(self) -> list[Question]:
        """The questions of the step, in order."""
        return [block for block in self.blocks if block.kind in QUESTION_KINDS]

    @property
    def required_labs(self) -> list[str]:
        """Ids of the labs that must pass before the step counts as done."""
        return [b.lab_id for b in self.blocks if isinstance(b, LabBlock) and b.required]


@dataclass(frozen=True)
class GlossaryEntry:
    """A term and its definition (Markdown)."""

    id: str
    term: str
    definition: str


@dataclass(frozen=True)
class Guide:
    """The course's guide article (Markdown)."""

    title: str
    markdown: str


@dataclass(frozen=True)
class Rule:
    """When an achievement is awarded: `kind` (e.g. lab_passed) and its `target`."""

    kind: str
    target: str | int | tuple[str, ...]


@dataclass(frozen=True)
class Achievement:
    """A badge, awarded once per student when its rule holds; `exp` is a bonus."""

    id: str
    title: str
    icon: str
    description: str
    rule: Rule
    exp: int = 0


@dataclass(frozen=True)
class Author:
    """Who wrote the course."""

    name: str
    about: str = ""
