"""YAML documents that remember the line of every value, so errors can say `path:line`.

PyYAML builds plain Python data and forgets where it came from; composing the node tree
first keeps each node's position. A field's line is the line of its key, an item's the
line of its dash, which is where an author looks to fix it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Where = tuple[str | int, ...]  # a path into a document: keys and list indexes


class YamlSyntaxError(ValueError):
    """The file is not valid YAML; `line` is where the parser gave up."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class LocatedDocument:
    """A parsed YAML file and the line of every value in it."""

    path: Path
    data: Any
    lines: dict[Where, int] = field(default_factory=dict)

    def line_of(self, where: Where) -> int:
        """The line of `where`, or of its closest parent that has one (1 at worst)."""
        while where not in self.lines and where:
            where = where[:-1]
        return self.lines.get(where, 1)


def read_located_yaml(path: Path) -> LocatedDocument:
    """Parse `path`; raises OSError, UnicodeDecodeError or YamlSyntaxError."""
    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(str(error.problem or error), line) from error
    except yaml.YAMLError as error:
        raise YamlSyntaxError(str(error), 1) from error
    finally:
        loader.dispose()
    document = LocatedDocument(path, _plain(data))
    if node is not None:
        _record_lines(node, (), document.lines)
    return document


def _record_lines(node: Node, where: Where, lines: dict[Where, int]) -> None:
    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                lines[(*where, key.value)] = key.start_mark.line + 1
                _record_lines(value, (*where, key.value), lines)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*where, index), lines)


def _plain(data: Any) -> Any:
    # YAML turns 2026-11-24 into a date; content keeps such values as ISO strings.
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(item) for item in data]
    if isinstance(data, datetime.date):
        return data.isoformat()
    return data
