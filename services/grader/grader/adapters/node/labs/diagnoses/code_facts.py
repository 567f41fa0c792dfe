"""Simple facts read from a submission's JavaScript, for when the measurements are silent.

The grader's judges read the parsed source (grader/adapters/node/javascript.py) and the
run's report; the diagnoses only need a few hints they can state with care, for when
nothing measured speaks to a cause, so a light reading is enough: comments and the contents
of strings are blanked first (a keyword in a comment must not count), then loops and
function bodies are found by matching braces. Run-time measurements always outrank these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LOOP = re.compile(r"\b(?:for|while)\s*\(")
CREATES_WORKER = re.compile(r"\bnew\s+Worker\s*\(")
AWAIT = re.compile(r"\bawait\b")
ATOMICS_WAIT = re.compile(r"\bAtomics\s*\.\s*wait\s*\(")
# A function declaration or a function assigned to a name: `function run(`, `const run =
# async (`, `run = function (`.
FUNCTION_NAME = re.compile(
    r"\bfunction\s+([A-Za-z_$][\w$]*)\s*\(|"
    r"\b([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function\b[^(]*)?\([^)]*\)\s*(?:=>)?\s*\{"
)
# Output kept whole: chunks pushed to an array, appended to a string, or concatenated.
KEEPS_CHUNKS = re.compile(
    r"\.push\(\s*(?:chunk|data|buf|buffer|line)\w*\s*\)|\+=\s*(?:chunk|data|buf)\w*\b|"
    r"\bBuffer\s*\.\s*concat\s*\("
)


@dataclass(frozen=True)
class CodeFacts:
    """What a light reading of the source suggests."""

    awaits_workers_in_a_loop: bool = False  # a loop creates a worker and awaits in its body
    waits_with_atomics: bool = False  # Atomics.wait blocks the thread that calls it
    keeps_output_chunks: bool = False  # chunks of output are collected, not just counted


def read_code(source: str | None) -> CodeFacts:
    """The facts of `source` (none for a missing or empty one)."""
    if not source:
        return CodeFacts()
    code = blank_comments_and_strings(source)
    return CodeFacts(
        awaits_workers_in_a_loop=_awaits_workers_in_a_loop(code),
        waits_with_atomics=bool(ATOMICS_WAIT.search(code)),
        keeps_output_chunks=bool(KEEPS_CHUNKS.search(code)),
    )


def blank_comments_and_strings(source: str) -> str:
    """The source with comments removed and string contents blanked (quotes kept)."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif char in "'\"`":
            end = i + 1
            while end < n and source[end] != char:
                end += 2 if source[end] == "\\" else 1
            out.append(char + char)
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def block_after(code: str, start: int) -> str:
    """The text of the `{...}` block that opens at or after `start` (braces matched)."""
    opening = code.find("{", start)
    if opening < 0:
        return ""
    depth = 0
    for position in range(opening, len(code)):
        if code[position] == "{":
            depth += 1
        elif code[position] == "}":
            depth -= 1
            if depth == 0:
                return code[opening : position + 1]
    return code[opening:]


def _loop_bodies(code: str) -> list[str]:
    bodies = []
    for match in LOOP.finditer(code):
        depth, position = 1, match.end()
        while position < len(code) and depth:
            depth += {"(": 1, ")": -1}.get(code[position], 0)
            position += 1
        rest = code[position:].lstrip()
        if rest.startswith("{"):
            bodies.append(block_after(code, position))
        else:
            bodies.append(rest.split(";", 1)[0])
    return bodies


def _worker_starters(code: str) -> set[str]:
    """Names of functions whose body creates a worker."""
    names = set()
    for match in FUNCTION_NAME.finditer(code):
        name = match.group(1) or match.group(2)
        if name and CREATES_WORKER.search(block_after(code, match.start())):
            names.add(name)
    return names


def _awaits_workers_in_a_loop(code: str) -> bool:
    starters = _worker_starters(code)
    for body in _loop_bodies(code):
        if not AWAIT.search(body):
            continue
        if CREATES_WORKER.search(body):
            return True
        if any(re.search(rf"(?<![\w$.]){re.escape(name)}\s*\(", body) for name in starters):
            return True
    return False
