"""Python's files as they must run, and the little the source says before it runs.

Read in the grader's process before any container starts (grader.adapter's `prepare`). The
Python labs are judged on what happened at run time, so the source's facts are kept
minimal: the modules the entrypoint imports, which a diagnosis may quote only where no
measurement speaks to the same cause. Nothing is renamed: the harness runs `main.py` as is
and reports a syntax error itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.adapter import Prepared


@dataclass(frozen=True)
class SourceFacts:
    """What the entrypoint's source says, parsed (never grepped)."""

    parses: bool  # False: the harness reports the syntax error, the facts are empty
    imports: frozenset[str]  # dotted names imported, e.g. "multiprocessing", "urllib.request"

    def imports_any(self, *modules: str) -> bool:
        """Whether the source imports one of `modules` or a module inside one of them."""
        return any(
            name == module or name.startswith(f"{module}.")
            for name in self.imports
            for module in modules
        )


def read_source_facts(source: str) -> SourceFacts:
    """The modules `source` imports (a keyword in a comment or a string is not an import)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return SourceFacts(parses=False, imports=frozenset())
    imports: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.add(node.module)
            imports.update(f"{node.module}.{alias.name}" for alias in node.names)
    return SourceFacts(parses=True, imports=frozenset(imports))


def prepare(files: dict[str, str], entrypoint: str) -> Prepared:
    """The files unchanged, and the entrypoint's facts."""
    return Prepared(dict(files), entrypoint, read_source_facts(files[entrypoint]))


def entrypoint_name(file_name: str) -> str:
    """The name a file given to `grader grade` runs under: the labs import `main.py`."""
    return "main.py"
