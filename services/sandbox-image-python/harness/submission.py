"""Copies the student's files from /work/submission to /tmp/submission.

/work is root-owned and read-only to the sandbox user, so the grader's copy stays pristine;
in /tmp/submission the program runs as in a student's own folder: it may write next to its
files, and relative paths resolve there. Only regular files and folders are copied; a
symlink could point anywhere in the image. A port of the Node harness's submission.js.
"""

from __future__ import annotations

import os
import shutil


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
