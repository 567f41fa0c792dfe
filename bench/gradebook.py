"""Gradebook benchmark: does a school of 500 students cost at most twice one of 60?

The gradebook (/admin/progress) of the node-workers course (8 steps and 3 labs: 11 graded
items) is rendered for a school of `--large` students against one of `--small`, each
student with step completions and up to three attempts per lab (the same data the tests
use, tests/web/gradebook_support.py). Printed: the median time of each page, their ratio
(target: at most 2.0) and the SQL statements per page (bound: 10, asserted by
tests/web/admin/test_gradebook.py; timings are only ever measured here, never asserted),
also with the group filter on (a group "Year 10 B" holds every other student; bound
asserted by tests/web/admin/test_groups.py).

Runs in-process against a migrated SQLite database through the real app and its test
client, like bench/pages.py. Writes bench/out/gradebook.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from flask import Flask
from pages import PASSWORD, bench_school, count_statements
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.web.gradebook_support
from portal.models import GroupMember, Role, StudentGroup, User  # noqa: E402
from tests.web.gradebook_support import fill_school  # noqa: E402

OUT = Path(__file__).parent / "out" / "gradebook.json"
PAGE = "/admin/progress?course=node-workers"
GROUP_NAME = "Year 10 B"
TARGET_RATIO = 2.0


def build_school(database: Path, students: int) -> tuple[Flask, str]:
    """An app on a fresh database whose school has `students` students with their work,
    and the path of its gradebook filtered to a group of every other student."""
    with bench_school(database) as (app, session, school, admin):
        course = app.extensions["catalogue"].courses["node-workers"]
        fill_school(session, school, course, students, admin.password_hash)
        group = StudentGroup(tenant_id=school.id, name=GROUP_NAME)
        session.add(group)
        session.flush()
        ids = session.scalars(
            select(User.id).where(User.tenant_id == school.id, User.role == Role.STUDENT.value)
        ).all()
        session.execute(
            insert(GroupMember),
            [
                {"tenant_id": school.id, "group_id": group.id, "user_id": user_id}
                for user_id in ids[::2]
            ],
        )
        session.commit()
        group_page = f"{PAGE}&group={group.id}"
    return app, group_page


def logged_in(app):
    """A test client of `app` logged in as the school's admin."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def measure(small_school, large_school, repeats: int) -> tuple[float, float, int, int, int, int]:
    """Median seconds of the gradebook of each school, the statements of each, and the
    statements of each with the group filter on.

    The two pages are timed in turns (small, large, small, ...), so a burst of load on
    the host slows both alike instead of only the one measured while it lasted.
    """
    (small_app, small_group_page), (large_app, large_group_page) = small_school, large_school
    small, large = logged_in(small_app), logged_in(large_app)
    small_statements = count_statements(small_app, small, PAGE)
    large_statements = count_statements(large_app, large, PAGE)
    small_group = count_statements(small_app, small, small_group_page)
    large_group = count_statements(large_app, large, large_group_page)
    timings: dict[str, list[float]] = {"small": [], "large": []}
    for _ in range(repeats):
        for name, client in (("small", small), ("large", large)):
            started = time.perf_counter()
            assert client.get(PAGE).status_code == 200
            timings[name].append(time.perf_counter() - started)
    return (
        statistics.median(timings["small"]),
        statistics.median(timings["large"]),
        small_statements,
        large_statements,
        small_group,
        large_group,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=60)
    parser.add_argument("--large", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        small = build_school(Path(scratch) / "small.sqlite3", args.small)
        large = build_school(Path(scratch) / "large.sqlite3", args.large)
        measured = measure(small, large, args.repeats)
    small_seconds, large_seconds, small_statements, large_statements = measured[:4]
    small_group, large_group = measured[4:]
    ratio = large_seconds / small_seconds
    results = {
        "measured_at": datetime.now().astimezone().isoformat(),
        "page": PAGE,
        "students_small": args.small,
        "students_large": args.large,
        "seconds_small": round(small_seconds, 4),
        "seconds_large": round(large_seconds, 4),
        "time_ratio_large_vs_small": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "statements_small": small_statements,
        "statements_large": large_statements,
        "statements_small_group_filter": small_group,
        "statements_large_group_filter": large_group,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(
        f"gradebook: {args.large} students {large_seconds * 1000:.1f} ms, "
        f"{args.small} students {small_seconds * 1000:.1f} ms: ratio {ratio:.2f} "
        f"({verdict} the {TARGET_RATIO}x target); SQL statements {large_statements} "
        f"and {small_statements}, with the group filter {large_group} and {small_group}"
    )
    print(f"(written to {OUT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
