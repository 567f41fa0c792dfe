"""Read course files and check them, naming the file and field of anything wrong.

The checks are hand-written and small on purpose: a course file has few fields, and the
error a content author sees (`course.yaml: labs[0].limits.cpus: expected a number`) is
worth more than a schema library's generic report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contract import GRADER_QUEUES, Limits
from portal.courses.catalogue import Catalogue, Course, Lab

LIMIT_TYPES = {
    "wall_seconds": float,
    "memory_mib": int,
    "cpus": float,
    "pids": int,
    "output_bytes": int,
}


class ContentError(ValueError):
    """A content file is invalid; the text reads `path: field: message`."""


def load_catalogue(content_dir: str | Path) -> Catalogue:
    """Load every `courses/*/course.yaml` under `content_dir`."""
    courses: dict[str, Course] = {}
    for path in sorted(Path(content_dir).glob("courses/*/course.yaml")):
        course = load_course(path)
        if course.id in courses:
            raise ContentError(f"{path}: id: course {course.id!r} is defined twice")
        courses[course.id] = course
    return Catalogue(courses)


def load_course(path: Path) -> Course:
    """Parse and check one course file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ContentError(f"{path}: not valid YAML: {error}") from error
    try:
        return _course(data)
    except _FieldError as error:
        raise ContentError(f"{path}: {error.where}: {error.message}") from None


class _FieldError(Exception):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def _course(data: Any) -> Course:
    mapping = _mapping(data, "(top level)")
    course_id = _text(mapping, "id", "")
    labs_data = mapping.get("labs", [])
    if not isinstance(labs_data, list):
        raise _FieldError("labs", "expected a list")
    labs = tuple(_lab(item, course_id, f"labs[{i}]") for i, item in enumerate(labs_data))
    seen: set[str] = set()
    for i, lab in enumerate(labs):
        if lab.id in seen:
            raise _FieldError(f"labs[{i}].id", f"lab {lab.id!r} is defined twice")
        seen.add(lab.id)
    return Course(
        id=course_id,
        title=_text(mapping, "title", ""),
        summary=_text(mapping, "summary", ""),
        labs=labs,
    )


def _lab(data: Any, course_id: str, where: str) -> Lab:
    mapping = _mapping(data, where)
    grader = _text(mapping, "grader", where)
    if grader not in GRADER_QUEUES:
        raise _FieldError(f"{where}.grader", f"unknown grader {grader!r}")
    check_config = mapping.get("check_config", {})
    if not isinstance(check_config, dict):
        raise _FieldError(f"{where}.check_config", "expected a mapping")
    return Lab(
        id=_text(mapping, "id", where),
        course_id=course_id,
        title=_text(mapping, "title", where),
        mission=_text(mapping, "mission", where),
        grader=grader,
        kind=_text(mapping, "kind", where),
        starter_code=_text(mapping, "starter_code", where, allow_empty=True),
        limits=_limits(mapping.get("limits"), f"{where}.limits"),
        check_config=check_config,
    )


def _limits(data: Any, where: str) -> Limits:
    mapping = _mapping(data, where)
    values: dict[str, Any] = {}
    for name, kind in LIMIT_TYPES.items():
        value = mapping.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _FieldError(f"{where}.{name}", "expected a number")
        if kind is int and not isinstance(value, int):
            raise _FieldError(f"{where}.{name}", "expected a whole number")
        if value <= 0:
            raise _FieldError(f"{where}.{name}", "must be positive")
        values[name] = kind(value)
    unknown = sorted(set(mapping) - set(LIMIT_TYPES))
    if unknown:
        raise _FieldError(f"{where}.{unknown[0]}", "unknown limit")
    return Limits(**values)


def _mapping(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _FieldError(where, "expected a mapping")
    return data


def _text(mapping: dict[str, Any], key: str, where: str, allow_empty: bool = False) -> str:
    field_name = f"{where}.{key}" if where else key
    value = mapping.get(key)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _FieldError(field_name, "expected a non-empty string")
    return value
