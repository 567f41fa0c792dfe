"""`make check-content`: every problem of a course, as `path:line: message`, and the exit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from portal.catalogue.check import main
from portal.catalogue.loader import ContentError, load_catalogue

REPO = Path(__file__).resolve().parents[2]
PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<message>.+)$")


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the repository's content/ to break."""
    copy = tmp_path / "content"
    shutil.copytree(REPO / "content", copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_repository_content_is_valid():
    done = subprocess.run(
        [sys.executable, "-m", "portal.catalogue.check", str(REPO / "content")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Content is valid: 2 course(s), 15 step(s)." in done.stdout


def test_every_problem_is_reported_with_its_path_and_line(content, capsys):
    course = content / "courses" / "node-workers"
    edit(course / "course.yaml", "cpus: 1.0", "cpus: lots")
    edit(course / "steps" / "02-system-check.yaml", "answer: wait-for-loop", "answer: wait")
    edit(course / "steps" / "07-syntax-mastery.yaml", "[[listen]]", "[[listener]]")
    edit(course / "glossary.yaml", "- id: ipc\n  term:", "- id: ipc\n  colour: red\n  term:")

    assert main([str(content)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert all(PROBLEM_LINE.match(line) for line in out), out
    expected = {
        (course / "course.yaml", "cpus: lots", "labs[0].limits.cpus: expected a number"),
        (
            course / "steps" / "02-system-check.yaml",
            "answer: wait",
            "blocks[1].answer: 'wait' is not an option id",
        ),
        (
            course / "steps" / "07-syntax-mastery.yaml",
            "template:",
            "blocks[1].template: [[listener]] is not a blank id",
        ),
        (course / "glossary.yaml", "colour: red", "[4].colour: unknown field"),
    }
    for path, marker, message in expected:
        assert f"{path}:{line_of(path, marker)}: {message}" in out


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "steps/05-lifecycle-sorting.yaml",
            "[run, create, reply]",
            "[create, run, reply]",
            "blocks[1].shuffled: starts in the right order: shuffle it",
        ),
        (
            "steps/05-lifecycle-sorting.yaml",
            "[run, create, reply]",
            "[run, create]",
            "blocks[1].shuffled: must list every item id exactly once",
        ),
        (
            "steps/04-thread-lab.yaml",
            "lab: thread-lab",
            "lab: fork-lab",
            "step thread-lab places unknown lab 'fork-lab'",
        ),
        (
            "achievements.yaml",
            "question_solved: worker-lifecycle",
            "question_solved: nope",
            "[1].rule.question_solved: no such id: 'nope'",
        ),
        (
            "course.yaml",
            "steps/03-worker-threads.yaml",
            "steps/03-missing.yaml",
            "steps[2]: no such file: steps/03-missing.yaml",
        ),
        (
            "course.yaml",
            "grader: node-sandbox",
            "grader: cobol",
            "labs[0].grader: unknown grader 'cobol'",
        ),
        (
            "steps/01-event-loop.yaml",
            "access: public",
            "access: everyone",
            "access: expected one of: public, members",
        ),
        (
            "steps/01-event-loop.yaml",
            "  - type: callout",
            "  - type: banner",
            "blocks[2].type: expected one of",
        ),
        (
            "steps/01-event-loop.yaml",
            "    runnable: true\n    output: |\n      1.",
            "    runnable: true\n    outputs: |\n      1.",
            "blocks[1].output: missing (required)",
        ),
        (
            "steps/03-worker-threads.yaml",
            "id: worker-threads",
            "id: Worker_Threads",
            "id: expected an id",
        ),
        (
            "course.yaml",
            "    premium: true  # an advanced",
            "    premium: often  # an advanced",
            "labs[1].premium: expected true or false",
        ),
        (
            "steps/03-worker-threads.yaml",
            "    required: false  # an extra simulation",
            "    required: true  # an extra simulation",
            "step worker-threads requires premium lab 'unblock-the-loop'",
        ),
        (
            "steps/05-lifecycle-sorting.yaml",
            "title: Lifecycle Sorting\n",
            "title: Lifecycle Sorting\npremium: 1\n",
            "premium: expected true or false",
        ),
        (
            "course.yaml",
            "last_reviewed: 2026-11-24",
            "last_reviewed: soon",
            "last_reviewed: expected a date as YYYY-MM-DD",
        ),
        (
            "course.yaml",
            "    checks:  # each check's title",
            "    checks_titles:  # each check's title",
            "labs[0].checks: missing (required)",
        ),
        (
            "course.yaml",
            '      creates_worker: "Creates a worker"',
            '      creates_worker: ""',
            "labs[0].checks.creates_worker:",
        ),
        (
            "steps/02-system-check.yaml",
            "title: System Check\naccess",
            "title: [unclosed\naccess",
            "not valid YAML",
        ),
    ],
)
def test_each_kind_of_mistake_is_named(content, capsys, file, old, new, message):
    edit(content / "courses" / "node-workers" / file, old, new)
    assert main([str(content)]) == 1
    out = capsys.readouterr().out
    assert message in out, out
    with pytest.raises(ContentError) as error:
        load_catalogue(content)
    assert message in str(error.value)


def test_check_content_is_a_make_target():
    makefile = (REPO / "Makefile").read_text()
    assert "check-content:" in makefile and "portal.catalogue.check content" in makefile
