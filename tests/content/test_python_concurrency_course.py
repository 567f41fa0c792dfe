"""The Python concurrency course, loaded for real, solved with its own answers.

Every question is answered right (and wrong) through the portal's graders, and both lab
reference solutions are run here on CPython against what their checks measure: the
prime count against its own single-process run (and its children's CPU time), and
fetch_all against a stand-in for the grader's `lab_http` that records concurrency and
event-loop lag. Grading them in the Python sandbox is tests/integration/python's work.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import resource
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from portal.catalogue.content import BlanksQuestion, ChoiceQuestion
from portal.catalogue.loader import load_catalogue
from portal.graders import grader_queues_from_env
from portal.questions.grading import grade_form, reference_answer

CONTENT = Path(__file__).resolve().parents[2] / "content"
# The portal's own default graders (GRADER_QUEUES unset): the course loads with them.
CATALOGUE = load_catalogue(CONTENT, grader_queues_from_env({}))
COURSE = CATALOGUE.course("python-concurrency")
QUESTIONS = [question for step in COURSE.steps for question in step.questions]
SOLUTIONS = CONTENT / "courses" / "python-concurrency" / "solutions"


def test_the_course_has_its_steps_labs_and_extras():
    assert [step.id for step in COURSE.steps] == [
        "the-gil",
        "threads-for-waiting",
        "processes-for-computing",
        "beat-the-gil",
        "asyncio",
        "choosing",
        "wrap-up",
    ]
    assert {lab.id: lab.grader for lab in COURSE.labs} == {
        "beat-the-gil": "python-sandbox",
        "async-gather": "python-sandbox",
    }
    assert all(lab.entrypoint == "main.py" and lab.solution for lab in COURSE.labs)
    assert COURSE.lab("beat-the-gil").limits.cpus == 2.0
    kinds = {type(question).__name__ for question in QUESTIONS}
    assert kinds == {"ChoiceQuestion", "OrderingQuestion", "BlanksQuestion"}
    assert len(COURSE.glossary) >= 12 and COURSE.guide and COURSE.authors
    assert all(achievement.id.startswith("py-") for achievement in COURSE.achievements)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_every_question_is_solved_by_its_reference_answer(question):
    grade = grade_form(question, reference_answer(question))
    assert grade.correct and grade.message == question.success


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_a_wrong_answer_gets_a_hint_never_the_answer(question):
    if isinstance(question, ChoiceQuestion):
        secrets = [next(o.text for o in question.options if o.id == question.answer)]
        wrong = [{"choice": o.id} for o in question.options if o.id != question.answer]
    elif isinstance(question, BlanksQuestion):
        secrets = [answer for blank in question.blanks for answer in blank.answers]
        wrong = [{f"blank-{blank.id}": "nope" for blank in question.blanks}]
    else:
        secrets = [" then ".join(item.text for item in question.items)]
        wrong = [{"order": list(question.shuffled)}]
    for answer in wrong:
        grade = grade_form(question, answer)
        assert not grade.correct and grade.message == question.hint
        feedback = " ".join([grade.message, *grade.hints])
        for secret in secrets:
            assert not _mentions(feedback, secret), (secret, feedback)


def _mentions(feedback: str, secret: str) -> bool:
    # Short answers ("map") are words of plain English too: look for them as code.
    if len(secret) < 4:
        return f"`{secret}`" in feedback or f".{secret}(" in feedback
    return re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", feedback) is not None


def _load_solution(file: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the pool's children unpickle its functions by this name
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def beat_the_gil():
    yield _load_solution("beat-the-gil.py", "beat_the_gil_solution")
    sys.modules.pop("beat_the_gil_solution", None)


@pytest.mark.parametrize(
    ("start", "stop", "workers", "primes"),
    [(0, 2, 3, 0), (2, 3, 2, 1), (5, 5, 2, 0), (0, 100, 3, 25), (0, 100, 7, 25), (90, 10, 2, 0)],
)
def test_beat_the_gil_counts_right_on_edge_ranges(beat_the_gil, start, stop, workers, primes):
    assert beat_the_gil.count_primes(start, stop) == primes
    assert beat_the_gil.parallel_count(start, stop, workers) == primes


def test_beat_the_gil_does_the_counting_in_child_processes(beat_the_gil):
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_before = time.process_time()
    total = beat_the_gil.parallel_count(0, 300_000, workers=2)
    main_cpu = time.process_time() - main_before
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    assert total == 25_997
    assert children_cpu > 4 * main_cpu, (children_cpu, main_cpu)


class FakeLabHttp(ModuleType):
    """A stand-in for the grader's `lab_http`: fetch(url) sleeps the delay the URL names
    (`.../item/3?delay=0.4`) and answers `body <path>`, counting the requests open."""

    def __init__(self) -> None:
        super().__init__("lab_http")
        self.open_now = 0
        self.most_open = 0
        self.asked: list[str] = []

    async def fetch(self, url: str) -> str:
        self.asked.append(url)
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await asyncio.sleep(float(url.rsplit("delay=", 1)[1]))
        finally:
            self.open_now -= 1
        return f"body {url.rsplit('/', 1)[1]}"


async def _timed_with_ticker(fetch_all, urls: list[str]) -> tuple[list[str], float, float]:
    """fetch_all(urls), its wall time, and the worst lateness of a 10 ms ticker meanwhile."""
    lags: list[float] = []

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    started = time.perf_counter()
    bodies = await fetch_all(urls)
    took = time.perf_counter() - started
    ticking.cancel()
    return bodies, took, max(lags, default=0.0)


def test_async_gather_is_concurrent_ordered_and_never_blocks(monkeypatch):
    lab_http = FakeLabHttp()
    monkeypatch.setitem(sys.modules, "lab_http", lab_http)
    solution = _load_solution("async-gather.py", "async_gather_solution")
    monkeypatch.delitem(sys.modules, "async_gather_solution")

    delays = [0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    urls = [f"http://lab/item/{n}?delay={delay}" for n, delay in enumerate(delays)]
    bodies, took, lag = asyncio.run(_timed_with_ticker(solution.fetch_all, urls))
    assert bodies == [f"body {url.rsplit('/', 1)[1]}" for url in urls]
    assert sorted(lab_http.asked) == sorted(urls) and lab_http.most_open == 6
    assert took < 0.7 + 0.5 * (sum(delays) - 0.7) and lag < 0.1, (took, lag)

    lab_http.most_open = 0
    many = [f"http://lab/many/{n}?delay=0.05" for n in range(20)]
    assert len(asyncio.run(solution.fetch_all(many))) == 20
    assert lab_http.most_open == 20  # what the grader's server counts: every one at once
