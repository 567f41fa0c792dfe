"""A.D.A.'s quotes of the course: whole sentences only, never cut in the middle of one."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.ada.excerpts import MAX_CHARACTERS, best_excerpt, plain_text, sentences
from portal.ada.passages import course_passages
from portal.catalogue.loader import load_catalogue

CONTENT = Path(__file__).resolve().parents[3] / "content"
QUESTIONS = [
    "Why did my workers not speed things up?",
    "When should I use spawn instead of exec?",
    "What blocks the event loop?",
    "split the job over workers running at once",
]


@pytest.fixture(scope="module")
def passages():
    return course_passages(load_catalogue(str(CONTENT)).course("node-workers"))


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_quote_of_the_course_is_made_of_whole_sentences(passages, question):
    for passage in passages:
        quote = best_excerpt(passage.text, question)
        whole = [_ended(sentence) for sentence in sentences(plain_text(passage.text))]

        assert quote, passage
        assert "…" not in quote
        assert quote.endswith((".", "!", "?")), quote
        # The quote is a run of the passage's own sentences, each one complete.
        remaining = quote
        for sentence in whole:
            if remaining.startswith(sentence):
                remaining = remaining[len(sentence) :].lstrip()
        assert remaining == "", (quote, whole)


def test_the_long_mission_is_quoted_whole_not_cut_at_the_limit(passages):
    mission = next(p for p in passages if p.source == "lab" and p.heading == "Unblock the Loop")

    quote = best_excerpt(mission.text, "split it over workers running at once")

    assert quote.startswith("Export `solve({ seed, items }, { workers })`")
    assert quote.endswith("(combine the parts with `combine`).")
    assert "with one…" not in quote


def test_a_second_sentence_is_added_only_while_the_quote_stays_short():
    first = "Workers run at once when they are all started first. "
    long_second = "Workers " + "really " * 60 + "help."
    text = first + long_second

    assert best_excerpt(text, "workers started at once") == first.strip()
    assert len(best_excerpt(first + "Workers help.", "workers")) <= MAX_CHARACTERS


ABBREVIATED = "Use a pool, e.g. four workers. It helps."
INTRODUCES = "They talk by **messages**: `postMessage` on one side."
LISTED = "- hashing large buffers\n- number crunching"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        (ABBREVIATED, ["Use a pool, e.g. four workers.", "It helps."]),
        (INTRODUCES, ["They talk by messages: `postMessage` on one side."]),
        (LISTED, ["Hashing large buffers.", "Number crunching"]),
    ],
)
def test_sentences_are_cut_at_sentence_ends_only(markdown, expected):
    assert sentences(plain_text(markdown)) == expected


def test_a_sentence_that_introduced_code_ends_with_a_full_stop():
    text = "One file can hold both sides, so the code can branch:\n\n```js\nif (x) {}\n```"
    assert best_excerpt(text, "branch") == "One file can hold both sides, so the code can branch."


def _ended(sentence: str) -> str:
    sentence = sentence.rstrip()
    if sentence.endswith(":"):
        return sentence[:-1].rstrip() + "."
    return sentence if sentence.endswith((".", "!", "?")) else f"{sentence}."
