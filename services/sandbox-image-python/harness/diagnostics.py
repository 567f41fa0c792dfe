"""Reads the student's stderr for what the grader cannot learn from an exit code.

Which uncaught exception ended the program (feedback quotes it back to the student), and
whether Python ran out of memory on its own: a MemoryError is raised when an allocation
fails before the kernel's OOM killer steps in, so the cgroup never counts it, yet for the
student it is the same "your program used too much memory" (the Node harness treats V8's
heap exhaustion the same way).
"""

from __future__ import annotations

import re

# `Traceback (most recent call last):`, also inside an exception group's margin.
TRACEBACK_HEADER = re.compile(r"^[ |+]*(?:Exception Group )?Traceback \(most recent call last\):$")
# The margin Python draws around the tracebacks of an exception group ("  | ").
GROUP_MARGIN = re.compile(r"^[ |]*\| ")
ERROR_LINE_CHARS = 500


def find_error_line(stderr: str) -> str | None:
    """The exception line of the last traceback on stderr ("ValueError: boom"), or None.

    Frames and source lines are indented; the exception line is the first line after the
    header that is not. Chained exceptions print their causes first, so the last traceback
    is the one that ended the program.
    """
    lines = stderr.splitlines()
    headers = [index for index, line in enumerate(lines) if TRACEBACK_HEADER.match(line)]
    if not headers:
        return None
    for line in lines[headers[-1] + 1 :]:
        line = GROUP_MARGIN.sub("", line).rstrip()
        if line and not line[0].isspace() and not line.startswith("+"):
            return line[:ERROR_LINE_CHARS]
    return None


def out_of_memory(error_line: str | None) -> bool:
    """True when the program ended with an uncaught MemoryError."""
    return error_line is not None and error_line.partition(":")[0] == "MemoryError"
