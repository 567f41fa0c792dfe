"""Read a course folder, check it against the schemas and the cross-references, build it.

Every problem is collected, not just the first, and each names its file and line
(`path:line: field: message`), so `make check-content` shows an author everything to fix
in one run and the web refuses to start with the same list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract import Limits
from portal.catalogue.catalogue import Catalogue, Course, Lab
from portal.catalogue.content import Achievement, Author, GlossaryEntry, Guide, Rule, Step
from portal.catalogue.located_yaml import LocatedDocument, Where, YamlSyntaxError
from portal.catalogue.located_yaml import read_located_yaml as _read_yaml
from portal.catalogue.references import check_references
from portal.catalogue.schema import schema_problems
from portal.catalogue.steps import build_step
from portal.graders import grader_queues_from_env

FLOAT_LIMITS = ("wall_seconds", "cpus")


@dataclass(frozen=True)
class ContentProblem:
    """One thing wrong in a content file."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(ValueError):
    """Content is invalid; the text lists every problem, one `path:line: message` a line."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def check_content(
    content_dir: str | Path, graders: Mapping[str, str] | None = None
) -> tuple[Catalogue, list[ContentProblem]]:
    """Load every `courses/*/course.yaml` under `content_dir`; return what loaded and the
    problems found (the catalogue holds only courses without problems). `graders` maps the
    grader names labs may use to their queues (default: GRADER_QUEUES from the
    environment, as the portal reads it)."""
    graders = grader_queues_from_env() if graders is None else graders
    problems: list[ContentProblem] = []
    courses: dict[str, Course] = {}
    achievement_owner: dict[str, str] = {}
    for path in sorted(Path(content_dir).glob("courses/*/course.yaml")):
        reader = CourseReader(path, graders)
        course = reader.read()
        problems.extend(sorted(reader.problems, key=lambda p: (str(p.path), p.line)))
        if course is None:
            continue
        if course.id in courses:
            problems.append(ContentProblem(path, 1, f"id: course {course.id!r} is defined twice"))
            continue
        for achievement in course.achievements:
            owner = achievement_owner.setdefault(achievement.id, course.id)
            if owner != course.id:
                problems.append(
                    ContentProblem(
                        path, 1, f"achievement {achievement.id!r} is declared by {owner} too"
                    )
                )
        courses[course.id] = course
    return Catalogue(courses), problems


def load_catalogue(content_dir: str | Path, graders: Mapping[str, str] | None = None) -> Catalogue:
    """Every course under `content_dir`; raises ContentError listing all problems."""
    catalogue, problems = check_content(content_dir, graders)
    if problems:
        raise ContentError(problems)
    return catalogue


class CourseReader:
    """Reads one course folder, collecting problems in `problems`."""

    def __init__(self, course_file: Path, graders: Mapping[str, str]) -> None:
        self.course_file = course_file
        self.graders = graders
        self.folder = course_file.parent
        self.problems: list[ContentProblem] = []

    def problem(self, document: LocatedDocument, where: Where, message: str) -> None:
        """Record `message` about field `where` of `document`."""
        prefix = f"{_field(where)}: " if where else ""
        self.problems.append(
            ContentProblem(document.path, document.line_of(where), prefix + message)
        )

    def read_document(self, relative: str | Path, schema: str) -> LocatedDocument | None:
        """Parse a file of the course and check it against `schema`; None if it is bad."""
        document, valid = self.parse(relative, schema)
        return document if valid else None

    def parse(self, relative: str | Path, schema: str) -> tuple[LocatedDocument | None, bool]:
        """Parse a file of the course: the document (None if unreadable) and whether it
        matches `schema`."""
        path = self.folder / relative if not isinstance(relative, Path) else relative
        try:
            document = _read_yaml(path)
        except OSError as error:
            self.problems.append(ContentProblem(path, 1, f"cannot read: {error.strerror}"))
            return None, False
        except UnicodeDecodeError:
            self.problems.append(ContentProblem(path, 1, "not UTF-8 text"))
            return None, False
        except YamlSyntaxError as error:
            self.problems.append(ContentProblem(path, error.line, f"not valid YAML: {error}"))
            return None, False
        found = schema_problems(schema, document.data)
        for where, message in found:
            self.problem(document, where, message)
        return document, not found

    def file_text(self, document: LocatedDocument, where: Where, relative: str) -> str | None:
        """The text of a Markdown file named at `where`, or None (with a problem)."""
        path = document.path.parent / relative
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.problem(document, where, f"cannot read the file {relative}")
            return None

    def read(self) -> Course | None:
        """The course, or None when anything in it is wrong.

        When course.yaml itself is invalid, the files it names are still checked, so an
        author sees every problem of the course in one run.
        """
        document, valid = self.parse(self.course_file, "course")
        if document is None:
            return None
        data = document.data if isinstance(document.data, dict) else {}
        steps = self._steps(document, data.get("steps"))
        achievements_document = self._optional_document(document, "achievements", "achievements")
        glossary_document = self._optional_document(document, "glossary", "glossary")
        if not valid:
            return None
        course = Course(
            id=data["id"],
            title=data["title"],
            summary=data["summary"],
            labs=self._labs(document, data["id"], data["labs"]),
            steps=steps,
            authors=tuple(Author(a["name"], a.get("about", "")) for a in data["authors"]),
            last_reviewed=data["last_reviewed"],
            glossary=self._glossary(glossary_document),
            guide=self._guide(document, data.get("guide")),
            achievements=self._achievements(achievements_document),
        )
        if not self.problems:
            check_references(self, document, achievements_document, course)
        return None if self.problems else course

    def _steps(self, course: LocatedDocument, files: Any) -> tuple[Step, ...]:
        steps: list[Step] = []
        for index, relative in enumerate(files if isinstance(files, list) else []):
            if not isinstance(relative, str):
                continue  # the schema has said so already
            if not (self.folder / relative).is_file():
                self.problem(course, ("steps", index), f"no such file: {relative}")
                continue
            step_document = self.read_document(relative, "step")
            if step_document is not None:
                steps.append(build_step(self, step_document, len(steps) + 1))
        return tuple(steps)

    def _optional_document(
        self, course: LocatedDocument, key: str, schema: str
    ) -> LocatedDocument | None:
        relative = course.data.get(key) if isinstance(course.data, dict) else None
        if not isinstance(relative, str):
            return None
        if not (self.folder / relative).is_file():
            self.problem(course, (key,), f"no such file: {relative}")
            return None
        return self.read_document(relative, schema)

    def _labs(self, document: LocatedDocument, course_id: str, items: list) -> tuple[Lab, ...]:
        labs, seen = [], set()
        for index, item in enumerate(items):
            where = ("labs", index)
            if item["id"] in seen:
                self.problem(document, (*where, "id"), f"lab {item['id']!r} is defined twice")
            seen.add(item["id"])
            if item["grader"] not in self.graders:
                known = ", ".join(sorted(self.graders))
                self.problem(
                    document,
                    (*where, "grader"),
                    f"unknown grader {item['grader']!r}: this deployment runs {known} "
                    "(GRADER_QUEUES)",
                )
                continue
            solution = None
            if "solution" in item:
                solution = self.folder / item["solution"]
                if not solution.is_file():
                    self.problem(
                        document, (*where, "solution"), f"no such file: {item['solution']}"
                    )
            labs.append(_lab(item, course_id, self.graders[item["grader"]], solution))
        return tuple(labs)

    def _glossary(self, document: LocatedDocument | None) -> tuple[GlossaryEntry, ...]:
        if document is None:
            return ()
        entries, seen = [], set()
        for index, item in enumerate(document.data):
            if item["id"] in seen:
                self.problem(document, (index, "id"), f"term {item['id']!r} is defined twice")
            seen.add(item["id"])
            entries.append(GlossaryEntry(item["id"], item["term"], item["definition"]))
        return tuple(entries)

    def _guide(self, document: LocatedDocument, data: dict | None) -> Guide | None:
        if data is None:
            return None
        text = self.file_text(document, ("guide", "file"), data["file"])
        return Guide(data["title"], text) if text is not None else None

    def _achievements(self, document: LocatedDocument | None) -> tuple[Achievement, ...]:
        if document is None:
            return ()
        found, seen = [], set()
        for index, item in enumerate(document.data):
            if item["id"] in seen:
                self.problem(document, (index, "id"), f"achievement {item['id']!r} is twice")
            seen.add(item["id"])
            ((kind, target),) = item["rule"].items()
            rule = Rule(kind, tuple(target) if isinstance(target, list) else target)
            found.append(
                Achievement(
                    id=item["id"],
                    title=item["title"],
                    icon=item["icon"],
                    description=item["description"],
                    rule=rule,
                    exp=item.get("exp", 0),
                )
            )
        return tuple(found)


def _lab(item: dict[str, Any], course_id: str, queue_name: str, solution: Path | None) -> Lab:
    limits = {
        name: float(value) if name in FLOAT_LIMITS else int(value)
        for name, value in item["limits"].items()
    }
    return Lab(
        id=item["id"],
        course_id=course_id,
        title=item["title"],
        mission=item["mission"],
        grader=item["grader"],
        queue_name=queue_name,
        kind=item["kind"],
        starter_code=item["starter_code"],
        limits=Limits(**limits),
        check_config=item.get("check_config", {}),
        entrypoint=item.get("entrypoint", "main.js"),
        exp=item.get("exp", 100),
        solution=solution,
        premium=item.get("premium", False),
        check_titles=dict(item["checks"]),
    )


def _field(where: Where) -> str:
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
