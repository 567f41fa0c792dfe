"""Grade a quick-question answer: pure functions of the question and the submitted form.

No database, no request: the same answer always gets the same grade, which is what the
content test relies on to solve every question with its reference answer. A wrong answer
gets a hint, never the answer: the feedback only ever quotes the content's hints and says
how far off the answer is (which blanks, how many items in place).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.catalogue.content import BlanksQuestion, ChoiceQuestion, OrderingQuestion, Question

MAX_FIELD_LENGTH = 200


class InvalidAnswer(ValueError):
    """The form does not hold an answer to this question (nothing chosen, unknown ids)."""


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer and A.D.A.'s words about it."""

    correct: bool
    message: str  # the success text, or the main hint
    hints: tuple[str, ...] = ()  # more specific hints (the picked option's, wrong blanks')
    wrong_blanks: tuple[str, ...] = ()  # ids of the blanks to mark as wrong


def normalise(text: str, case_sensitive: bool = True) -> str:
    """A blank's text as compared: Unicode-normalised, trimmed, inner spaces collapsed."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
    return text if case_sensitive else text.casefold()


def grade_choice(question: ChoiceQuestion, picked: str) -> Grade:
    """Grade the option id `picked`."""
    options = {option.id: option for option in question.options}
    if picked not in options:
        raise InvalidAnswer("Pick one of the answers first.")
    if picked == question.answer:
        return Grade(True, question.success)
    option_hint = options[picked].hint
    return Grade(False, question.hint, (option_hint,) if option_hint else ())


def grade_ordering(question: OrderingQuestion, order: list[str]) -> Grade:
    """Grade `order`, a list of item ids from first to last."""
    expected = [item.id for item in question.items]
    if sorted(order) != sorted(expected):
        raise InvalidAnswer("Submit every stage exactly once.")
    if order == expected:
        return Grade(True, question.success)
    in_place = sum(1 for got, want in zip(order, expected, strict=True) if got == want)
    where = f"{in_place} of {len(expected)} are in the right place."
    return Grade(False, question.hint, (where,))


def grade_blanks(question: BlanksQuestion, answers: Mapping[str, str]) -> Grade:
    """Grade the text typed into each blank, by blank id."""
    wrong = []
    hints = []
    for blank in question.blanks:
        typed = normalise(answers.get(blank.id, ""), blank.case_sensitive)
        accepted = {normalise(answer, blank.case_sensitive) for answer in blank.answers}
        if typed not in accepted:
            wrong.append(blank.id)
            if blank.hint:
                hints.append(f"{blank.label}: {blank.hint}")
    if not wrong:
        return Grade(True, question.success)
    return Grade(False, question.hint, tuple(hints), tuple(wrong))


def grade_form(question: Question, form: Mapping[str, Any]) -> Grade:
    """Grade the answer in a submitted form (see `answer_fields` for the field names)."""
    if isinstance(question, ChoiceQuestion):
        return grade_choice(question, _text(form.get("choice")))
    if isinstance(question, OrderingQuestion):
        getlist = getattr(form, "getlist", None)
        order = getlist("order") if getlist else list(form.get("order") or [])
        return grade_ordering(question, [_text(item) for item in order])
    answers = {blank.id: _text(form.get(f"blank-{blank.id}")) for blank in question.blanks}
    return grade_blanks(question, answers)


def reference_answer(question: Question) -> dict[str, Any]:
    """The form fields of the right answer (for tests and content checks)."""
    if isinstance(question, ChoiceQuestion):
        return {"choice": question.answer}
    if isinstance(question, OrderingQuestion):
        return {"order": [item.id for item in question.items]}
    return {f"blank-{blank.id}": blank.answers[0] for blank in question.blanks}


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    if len(value) > MAX_FIELD_LENGTH:
        raise InvalidAnswer("That answer is far too long.")
    return value
