"""Copies the student's files from /work/submission to /tmp/submission.

/work is root-owned and read-only to the sandbox user, so the grader's copy stays pristine;
in /tmp/submission the program runs as in a student's own folder: it may write next to its
files, and relative paths resolve there. Only regular files and folders are copied; a
symlink could point anywhere in the image. A port of the Node harness's submission.js.
The grader streams the files instead (job_input.py): `write_submission` lays them out there.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from typing import Any


def copy_submission(source: str, target: str) -> int:
    """Copy the tree at `source` into `target` (created); return the number of files."""
    os.makedirs(target, mode=0o755, exist_ok=True)
    files = 0
    with os.scandir(source) as entries:
        for entry in entries:
            destination = os.path.join(target, entry.name)
            if entry.is_dir(follow_symlinks=False):
                files += copy_submission(entry.path, destination)
            elif entry.is_file(follow_symlinks=False):
                shutil.copyfile(entry.path, destination)
                os.chmod(destination, 0o644)
                files += 1
    return files


def write_submission(files: Any, target: str) -> int:
    """Write `files` ({relative path: text}, as the grader streamed them) into `target`
    (created); return the number of files. A path that leaves `target` is refused."""
    if not isinstance(files, dict):
        raise ValueError("the submission's files are not an object")
    os.makedirs(target, mode=0o755, exist_ok=True)
    for name, text in files.items():
        relative = posixpath.normpath(name)
        if (
            not isinstance(text, str)
            or relative == "."
            or posixpath.isabs(relative)
            or relative.startswith("..")
        ):
            raise ValueError(f"submission file {name!r} is not a text inside the submission")
        destination = os.path.join(target, relative)
        os.makedirs(os.path.dirname(destination), mode=0o755, exist_ok=True)
        with open(destination, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(destination, 0o644)
    return len(files)
