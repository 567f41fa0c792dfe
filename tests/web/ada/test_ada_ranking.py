"""A.D.A.'s retrieval over the real course content: the right step comes first."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.ada.passages import CourseIndex, course_passages
from portal.ada.ranking import Bm25Index
from portal.ada.words import stem, terms
from portal.catalogue.loader import load_catalogue

CONTENT = Path(__file__).resolve().parents[3] / "content"


@pytest.fixture(scope="module")
def course():
    return load_catalogue(str(CONTENT)).course("node-workers")


@pytest.fixture(scope="module")
def index(course) -> CourseIndex:
    return CourseIndex(course)


@pytest.mark.parametrize(
    ("query", "step_id"),
    [
        ("event loop blocked", "event-loop"),
        ("spawn exec buffer", "child-processes"),
        ("worker message postMessage", "worker-threads"),
        ("shared memory between threads", "worker-threads"),
        ("isMainThread", "worker-threads"),
        ("exec maxBuffer", "child-processes"),
        ("a pool of workers", "worker-threads"),
        ("thousands of connections on one thread", "event-loop"),
        ("which call shows the backup logs as they come", "child-processes"),
        ("stages of a worker's life", "lifecycle-sorting"),
    ],
)
def test_the_step_that_teaches_it_ranks_first(index, query, step_id):
    hits = index.search(query)
    assert hits, query
    assert hits[0].passage.step_id == step_id


def test_a_question_outside_the_course_finds_nothing_to_cite(index):
    assert not index.is_about_the_course("How do I bake a cake?")
    assert not index.is_about_the_course("what is the meaning of life")
    assert index.is_about_the_course("why did my worker not speed things up?")


def test_every_kind_of_content_is_a_passage_that_knows_its_step(course):
    passages = course_passages(course)
    sources = {p.source for p in passages}
    assert sources == {"lesson", "callout", "glossary", "guide", "lab", "hint"}
    steps = {s.id: s for s in course.steps}
    for passage in passages:
        step = steps[passage.step_id]
        assert (passage.step_number, passage.step_title) == (step.number, step.title)
        assert passage.text
    glossary = [p for p in passages if p.source == "glossary"]
    assert {p.heading for p in glossary} >= {"Event loop", "Worker thread", "spawn versus exec"}
    assert [p.anchor for p in glossary][0] == "term-event-loop"
    missions = {p.heading: p.step_id for p in passages if p.source == "lab"}
    assert missions["Spawn vs Exec"] == "child-processes"
    assert missions["Unblock the Loop"] == "worker-threads"


def test_the_ranking_is_deterministic(course):
    first = [(h.passage, h.score) for h in CourseIndex(course).search("worker thread speedup")]
    again = [(h.passage, h.score) for h in CourseIndex(course).search("worker thread speedup")]
    assert first == again


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (("worker", "workers"), True),
        (("block", "blocked", "blocking"), True),
        (("buffer", "buffers", "buffering"), True),
        (("message", "messages"), True),
        (("process", "processes"), True),
        (("spawn", "speed"), False),
    ],
)
def test_stemming_makes_forms_of_a_word_meet(words, same):
    assert (len({stem(word) for word in words}) == 1) is same


def test_stopwords_and_case_are_ignored():
    assert terms("Why is THE Event Loop blocked?") == ["event", "loop", "block"]


def test_bm25_prefers_the_rarer_term_and_the_shorter_document():
    index = Bm25Index(
        [
            ("loop loop loop worker", ""),
            ("loop worker worker", ""),
            ("loop " * 30 + "worker", ""),
            ("nothing to see", ""),
        ]
    )
    hits = index.search("worker")
    assert [hit.index for hit in hits] == [1, 0, 2]
    assert index.search("absent") == []


def test_a_title_match_outranks_a_mention():
    index = Bm25Index([("workers are mentioned here", "Child processes"), ("workers", "Workers")])
    assert index.search("workers")[0].index == 1
