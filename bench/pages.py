"""Portal benchmark: do the long lists stay as fast when a school holds thousands of rows?

Each figure is a ratio measured in one run on this machine: the same page of the same
list (the Holo-Net feed, the dashboard's submissions, its users) rendered for a school
with `--large` rows against a school with `--small` rows (more than one page of each
list, so both render full pages). A page shows at most one
screenful, so a ratio near 1.0 means the page costs the same whatever the school's size;
the SQL statements per page are counted too (they must not grow with the rows).

Runs in-process against a migrated SQLite database (the embedded default), through the
real app and its test client. Writes bench/out/pages.json and prints a short table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import create_app
from portal.auth.service import register_user
from portal.db import make_engine
from portal.migrations import upgrade_database
from portal.models import Post, Role, School, Submission, User, utc_now
from portal.rendering import render_user_markdown

OUT = Path(__file__).parent / "out" / "pages.json"
PASSWORD = "bench password, long enough"
PAGES = {"feed": "/feed/", "submissions": "/admin/submissions", "users": "/admin/users"}
BODY = "Moving the **hashing** off the main thread kept the loop free: `new Worker(...)`."


@contextlib.contextmanager
def bench_school(database: Path) -> Iterator[tuple[Flask, Session, School, User]]:
    """(app, session, school, its admin) on a fresh migrated SQLite database, inside the
    app's context: what every page bench starts from before it adds its rows."""
    upgrade_database(make_engine(f"sqlite:///{database}"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": "bench",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "WTF_CSRF_ENABLED": False,
        }
    )
    factory = app.extensions["db_sessionmaker"]
    with app.app_context(), factory() as session:
        school = School(slug="default", name="Bench School")
        session.add(school)
        session.commit()
        admin = register_user(
            session,
            school,
            email="admin@example.org",
            display_name="Admin",
            password=PASSWORD,
            role=Role.SCHOOL_ADMIN,
        )
        yield app, session, school, admin


def build_school(database: Path, rows: int):
    """An app on a fresh database whose school holds `rows` posts, submissions and users."""
    with bench_school(database) as (app, session, school, admin):
        html = render_user_markdown(BODY)
        students = [
            User(
                tenant_id=school.id,
                email=f"student{n}@example.org",
                display_name=f"Student {n}",
                password_hash=admin.password_hash,
            )
            for n in range(rows)
        ]
        session.add_all(students)
        session.flush()
        for n, student in enumerate(students):
            session.add(
                Post(
                    tenant_id=school.id,
                    author_id=student.id,
                    title=f"Post {n}",
                    body_markdown=BODY,
                    body_html=html,
                )
            )
            session.add(_submission(school, student, n))
        session.commit()
    return app


def _submission(school: School, student: User, n: int) -> Submission:
    return Submission(
        tenant_id=school.id,
        user_id=student.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log('hi')",
        entrypoint="main.js",
        status="graded",
        verdict="passed" if n % 3 else "failed",
        score=1.0 if n % 3 else 0.25,
        gradable=True,
        graded_at=utc_now(),
    )


def measure(app, path: str, repeats: int) -> tuple[float, int]:
    """Median seconds to render `path` as the school's admin, and SQL statements per page."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": "admin@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    per_page = count_statements(app, client, path)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), per_page


def count_statements(
    app, client, path: str, method: str = "GET", expect: int = 200, **request
) -> int:
    """SQL statements one request to `path` runs, counted after a first request warms caches.

    `request` goes to the test client (`data`, `base_url`); also used by portal_load.py.
    """
    statements = []
    engine = app.extensions["db_engine"]
    listener = lambda *_args, **_kwargs: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.open(path, method=method, **request)  # warms caches; a POST may answer otherwise
        statements.clear()
        status = client.open(path, method=method, **request).status_code
        assert status == expect, f"{method} {path}: {status}"
        return len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=60)
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    results: dict = {"measured_at": datetime.now().astimezone().isoformat(), "pages": {}}
    with tempfile.TemporaryDirectory() as scratch:
        small = build_school(Path(scratch) / "small.sqlite3", args.small)
        large = build_school(Path(scratch) / "large.sqlite3", args.large)
        for name, path in PAGES.items():
            small_seconds, small_statements = measure(small, path, args.repeats)
            large_seconds, large_statements = measure(large, path, args.repeats)
            results["pages"][name] = {
                "path": path,
                "rows_small": args.small,
                "rows_large": args.large,
                "time_ratio_large_vs_small": round(large_seconds / small_seconds, 3),
                "statements_small": small_statements,
                "statements_large": large_statements,
            }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'page':<12} {'time ratio':>10} {'SQL small':>10} {'SQL large':>10}")
    for name, figures in results["pages"].items():
        print(
            f"{name:<12} {figures['time_ratio_large_vs_small']:>10} "
            f"{figures['statements_small']:>10} {figures['statements_large']:>10}"
        )
    print(f"({args.large} rows against {args.small}; written to {OUT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
