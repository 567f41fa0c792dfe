"""Node's files as they must run: the entrypoint's facts, and ES modules renamed to .mjs.

Read in the grader's process before any container starts (grader.adapter's `prepare`): the
labs' static checks use the facts, and the rename is decided from the same parse.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from grader.adapter import Prepared
from grader.adapters.node.javascript import read_source_facts


def prepare(files: dict[str, str], entrypoint: str) -> Prepared:
    """Parse the entrypoint and rename it to .mjs when it is an ES module."""
    facts = read_source_facts(files[entrypoint])
    runnable = runnable_name(entrypoint, facts.is_es_module)
    renamed = dict(files)
    renamed[runnable] = renamed.pop(entrypoint)
    return Prepared(renamed, runnable, facts)


def runnable_name(entrypoint: str, is_es_module: bool) -> str:
    """ES module syntax must run from a .mjs file: Node 18 does not detect it in a .js."""
    path = PurePosixPath(entrypoint)
    if is_es_module and path.suffix in (".js", ".cjs"):
        return str(path.with_suffix(".mjs"))
    return entrypoint


def entrypoint_name(file_name: str) -> str:
    """The name a file given to `grader grade` runs under: an .mjs stays an ES module."""
    return "main.mjs" if PurePosixPath(file_name).suffix == ".mjs" else "main.js"
