"""`python -m portal.catalogue.check [CONTENT_DIR]`: validate course content, as `make
check-content` does.

Prints every problem as `path:line: message` (the format editors and CI annotate) and
exits 1 if there is any, 0 with a one-line summary otherwise. Nothing else is needed: no
database, no Redis, no app.
"""

from __future__ import annotations

import sys
from pathlib import Path

from portal.catalogue.loader import check_content
from portal.config import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    """Check the content folder given (default: the repository's `content/`)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m portal.catalogue.check [CONTENT_DIR]", file=sys.stderr)
        return 2
    content_dir = Path(args[0]) if args else REPO_ROOT / "content"
    if not content_dir.is_dir():
        print(f"{content_dir}: no such directory", file=sys.stderr)
        return 2
    catalogue, problems = check_content(content_dir)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    steps = sum(len(course.steps) for course in catalogue.courses.values())
    print(f"Content is valid: {len(catalogue.courses)} course(s), {steps} step(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
