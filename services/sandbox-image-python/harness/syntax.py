"""Checks the entry file's syntax with compile() before anything runs.

A student who forgot a bracket gets "line 12, column 5: '(' was never closed" instead of a
traceback, and the grader can tell "did not compile" from "crashed". compile() is given the
file's bytes, so the encoding declaration (PEP 263) and invalid UTF-8 are judged as the real
run judges them. Only the entry file is checked: a syntax error in a module it imports is a
runtime error (error_line), as in the Node harness.
"""

from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass
from typing import Any

MESSAGE_CHARS = 500


@dataclass(frozen=True)
class SyntaxCheck:
    """Why the entry did not compile, as the report states it and as Python prints it."""

    problem: dict[str, Any]  # {line, column, message}: line and column 1-based or None
    text: str  # Python's own rendering (file, line, caret, message) for the output


def check_syntax(entry_path: str) -> SyntaxCheck | None:
    """Compile the file at `entry_path`; None when it compiles or cannot be checked.

    A file that cannot be read, or that the compiler rejects for another reason (too deep
    nesting raises RecursionError or MemoryError), is left to the real run, which reports
    it the way Python does.
    """
    try:
        with open(entry_path, "rb") as file:
            source = file.read()
    except OSError:
        return None
    try:
        # SyntaxWarnings (an invalid escape, `is` with a literal) belong to the real run's
        # output, not to the harness's stderr.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, entry_path, "exec", dont_inherit=True)
    except SyntaxError as error:
        message = f"{type(error).__name__}: {error.msg}"[:MESSAGE_CHARS]
        problem = {"line": error.lineno, "column": error.offset, "message": message}
        return SyntaxCheck(problem, "".join(traceback.format_exception_only(error)))
    except (ValueError, RecursionError, MemoryError):
        return None
    return None
