"""The grader README's walk-through is true: the Python grader follows it, step by step.

services/grader/README.md tells a lab author, in two numbered procedures ("Add a grader
kind", "Add a lab to a grader kind"), which files to write and which tests to add, naming
them in code spans with placeholders (`<kind>`, `<lab>`, ...). This test reads that section
(no list of files here repeats it) and fills the placeholders in for the Python grader: its
course and labs come from the content, the one that names the grader the README's
`GRADER_QUEUES` example puts on `grading-python`. So a README that names a file, a make
target or a setting the Python grader does not have fails here, and so does a Python
grader that drops one of them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.adapter import load_adapter
from portal.catalogue.catalogue import Course
from portal.catalogue.loader import load_catalogue
from portal.graders import DEFAULT_GRADER_QUEUES, parse_grader_queues

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "services" / "grader" / "README.md"
KIND = "python"  # the grader kind that must follow the walk: the one shipped beside Node's
COURSES = "content/courses/"
# The Python course waits in content/drafts/ until its grader ships (content/README.md);
# the walk names content/courses/, where it moves, and this fallback goes with the move.
DRAFT_COURSES = "content/drafts/courses/"
PLACEHOLDER = re.compile(r"<[a-z_]+>")
LAB_PLACEHOLDERS = ("<lab>", "<lab_module>", "<ext>")
# A code span that names a path of the repository: a relative path (a folder ends with /),
# optionally followed by an argument the file must know (`build-sandbox-image.sh <kind>`).
PATH_SPAN = re.compile(
    r"(?P<path>(?:[\w.<>-]+/)+[\w.<>-]*|[\w-]+\.(?:ya?ml|md|py|sh|json|toml)|Makefile)"
    r"(?: (?P<arg>\S+))?"
)


@dataclass(frozen=True)
class Step:
    """One numbered step of a procedure: its bold title and its code spans."""

    procedure: str
    number: int
    title: str
    spans: tuple[str, ...]


@functools.cache
def walk() -> dict[str, list[Step]]:
    """The README's walk-through: procedure title -> its numbered steps."""
    text = README.read_text()
    section = re.search(r"^## Walk-through.*?(?=^## |\Z)", text, re.M | re.S)
    assert section, "services/grader/README.md has no '## Walk-through' section"
    procedures: dict[str, list[Step]] = {}
    for match in re.finditer(r"^### (.+?)\n(.*?)(?=^### |\Z)", section.group(0), re.M | re.S):
        title, body = match.group(1).strip(), match.group(2)
        items = re.finditer(r"^(\d+)\. \*\*(.+?)\*\*(.*?)(?=^\d+\. |\Z)", body, re.M | re.S)
        procedures[title] = [
            Step(title, int(item.group(1)), item.group(2), tuple(_spans(item.group(0))))
            for item in items
        ]
    return procedures


def _spans(text: str) -> list[str]:
    """The code spans of `text`, their line breaks made spaces."""
    return [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", text)]


def procedure(title: str) -> list[Step]:
    steps = walk().get(title)
    assert steps, f"the walk-through has no procedure '### {title}'"
    return steps


def every_span() -> list[str]:
    return [span for steps in walk().values() for step in steps for span in step.spans]


def setting(name: str) -> str:
    """The value the walk gives setting `name` (a `NAME=value` span), placeholders filled."""
    values = {span.split("=", 1)[1] for span in every_span() if span.startswith(f"{name}=")}
    assert len(values) == 1, f"the walk should give {name} one value, not {sorted(values)}"
    return values.pop().replace("<kind>", KIND)


@functools.cache
def grader_queues() -> dict[str, str]:
    """The walk's GRADER_QUEUES, read by the portal's own parser."""
    return parse_grader_queues(setting("GRADER_QUEUES"))


def grader_name() -> str:
    """The name content gives the Python grader: the one GRADER_QUEUES puts on its queue."""
    queue = setting("GRADER_QUEUE")
    names = [name for name, listed in grader_queues().items() if listed == queue]
    assert len(names) == 1, f"GRADER_QUEUES should name one grader on {queue}: {names}"
    return names[0]


@functools.cache
def python_course() -> tuple[Course, str]:
    """The course whose labs the Python grader grades, and the folder that holds it."""
    for folder in (COURSES, DRAFT_COURSES):
        content = ROOT / folder.removesuffix("courses/")
        if not (content / "courses").is_dir():
            continue
        # Loading with the walk's GRADER_QUEUES refuses a lab whose grader it does not list.
        catalogue = load_catalogue(content, grader_queues())
        for course in catalogue.courses.values():
            if any(lab.grader == grader_name() for lab in course.labs):
                return course, folder
    raise AssertionError(f"no course in content/ has a lab graded by {grader_name()}")


def placeholders() -> list[dict[str, str]]:
    """The placeholders' values for the Python grader, one mapping per lab of its course."""
    course, _ = python_course()
    labs = [lab for lab in course.labs if lab.grader == grader_name()]
    return [
        {
            "<kind>": KIND,
            "<course>": course.id,
            "<course_module>": course.id.replace("-", "_"),
            "<lab>": lab.kind,
            "<lab_module>": lab.kind.replace("-", "_"),
            "<ext>": Path(lab.entrypoint).suffix.removeprefix("."),
        }
        for lab in labs
    ]


def values_for(span: str) -> list[dict[str, str]]:
    """The values to fill `span` with: once per lab if it names one lab's file, else once
    (the content is read only for a span that names a course or a lab)."""
    if any(placeholder in span for placeholder in LAB_PLACEHOLDERS):
        return placeholders()
    if "<course" in span:
        return placeholders()[:1]
    return [{"<kind>": KIND}]


def fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    assert not PLACEHOLDER.search(text), f"{text}: a placeholder the walk does not define"
    return text


def located(path: str) -> Path:
    _, folder = python_course()
    if path.startswith(COURSES) and folder == DRAFT_COURSES:
        path = DRAFT_COURSES + path.removeprefix(COURSES)
    return ROOT / path


@dataclass(frozen=True)
class Named:
    """A path a step names, filled in for one lab (or for the grader kind)."""

    step: Step
    span: str  # as the README writes it
    path: str  # filled in
    arg: str | None  # filled in
    per_lab: bool  # the span names one lab's file


def named_paths(steps: list[Step]) -> list[Named]:
    named = []
    for step in steps:
        for span in step.spans:
            match = PATH_SPAN.fullmatch(span)
            if not match:
                continue
            per_lab = any(placeholder in span for placeholder in LAB_PLACEHOLDERS)
            for values in values_for(span):
                arg = match.group("arg")
                named.append(
                    Named(
                        step,
                        span,
                        fill(match.group("path"), values),
                        fill(arg, values) if arg else None,
                        per_lab,
                    )
                )
    return named


def drift(item: Named, message: str) -> str:
    return f"{item.step.procedure}, step {item.step.number}: `{item.span}` -> {message}"


def test_the_walk_has_both_procedures_in_numbered_steps_that_name_files():
    for title in ("Add a grader kind", "Add a lab to a grader kind"):
        steps = procedure(title)
        assert [step.number for step in steps] == list(range(1, len(steps) + 1)), title
        assert len(steps) >= 3, title
        for step in steps:
            assert named_paths([step]), f"{title}, step {step.number} names no file"


def test_every_path_the_walk_names_exists_for_the_python_grader():
    missing = []
    for item in named_paths(
        procedure("Add a grader kind") + procedure("Add a lab to a grader kind")
    ):
        path = located(item.path)
        if not path.exists() or (item.path.endswith("/") and not path.is_dir()):
            missing.append(drift(item, f"{item.path} does not exist"))
        elif item.arg and item.arg not in path.read_text():
            missing.append(drift(item, f"{item.path} knows no {item.arg!r}"))
    assert not missing, "the walk names what the Python grader lacks:\n" + "\n".join(missing)


def test_every_file_of_the_kind_the_lab_procedure_names_speaks_of_each_lab():
    # Files the kind or the course owns (a placeholder in their path), shared by its labs:
    # each lab is in each (its kind declared, its chart drawn, its verdicts tested).
    silent = []
    for item in named_paths(procedure("Add a lab to a grader kind")):
        if item.per_lab or item.path.endswith("/") or not PLACEHOLDER.search(item.span):
            continue
        text = located(item.path).read_text()
        for values in placeholders():
            lab, module = values["<lab>"], values["<lab_module>"]
            if lab not in text and module not in text:
                silent.append(drift(item, f"{item.path} says nothing of {lab}"))
    assert not silent, "\n".join(silent)


def test_make_targets_the_walk_names_are_in_the_makefile():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w.-]+):", makefile, re.M))
    named = {span.removeprefix("make ") for span in every_span() if span.startswith("make ")}
    assert named, "the walk names no make target"
    for values in placeholders():
        assert {fill(target, values) for target in named} <= targets


def test_the_adapter_loads_by_the_walks_setting_and_knows_the_courses_lab_kinds():
    adapter = load_adapter(setting("GRADER_ADAPTER"))
    course, _ = python_course()

    assert adapter is load_adapter(KIND) and adapter.name == KIND
    assert adapter.sandbox_image == setting("SANDBOX_IMAGE")
    kinds = {lab.kind for lab in course.labs if lab.grader == grader_name()}
    assert kinds and kinds <= set(adapter.lab_kinds), (kinds, sorted(adapter.lab_kinds))


def test_the_courses_labs_go_to_the_python_graders_queue_by_the_walks_grader_queues():
    course, _ = python_course()
    queue = setting("GRADER_QUEUE")

    # Content names the grader as the walk says (`grader: <kind>-sandbox`), and the walk's
    # GRADER_QUEUES keeps the portal's default graders on their queues.
    names = {span.split(": ", 1)[1] for span in every_span() if span.startswith("grader: ")}
    assert {fill(name, {"<kind>": KIND}) for name in names} == {grader_name()}
    assert parse_grader_queues(DEFAULT_GRADER_QUEUES).items() <= grader_queues().items()
    for lab in course.labs:
        assert lab.queue_name == grader_queues()[lab.grader]
        if lab.grader == grader_name():
            assert lab.queue_name == queue
            assert lab.solution and lab.solution.is_file(), lab.id


def deployment_files() -> list[Named]:
    steps = [step for step in procedure("Add a grader kind") if "deployment" in step.title]
    assert len(steps) == 1, "the walk should have one step that deploys the grader"
    return named_paths(steps)


@pytest.mark.parametrize("item", deployment_files(), ids=lambda item: item.path)
def test_each_deployment_the_walk_names_runs_the_python_grader_on_its_queue(item):
    path = located(item.path)
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    queue = setting("GRADER_QUEUE")

    assert any(queue in file.read_text() for file in files if file.is_file()), item.path
