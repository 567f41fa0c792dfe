"""Fixtures for the portal: one app per test, a fresh database, a real Valkey.

Database backends: SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (a
throwaway database is created on that server for the session and dropped after it).
Under CI=true, TEST_DATABASE_URL is required and its absence fails every PostgreSQL
test. Either way the schema is built by the Alembic migrations, so they are tested too.

The tests sit in one folder per portal package (ada/, admin/, labs/...; platform/ for what
cuts across them); the fixtures and constants here are shared by all of them, and a
folder's own conftest.py adds only what its tests alone use.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from psycopg.errors import InsufficientPrivilege
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

import contract
from portal import create_app
from portal.auth.service import register_user
from portal.db import get_db, make_engine
from portal.migrations import upgrade_database
from portal.models import Base, Role, School, Submission, User

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _backends() -> list:
    backends = [pytest.param("sqlite", id="sqlite")]
    if TEST_DATABASE_URL or IN_CI:
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return backends


# --- databases ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway, migrated PostgreSQL database on TEST_DATABASE_URL's server."""
    if not TEST_DATABASE_URL:
        pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
    with own_postgres_database("portal_test") as url:
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        yield url


def _empty_postgres_tables(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test, on each available backend."""
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    _empty_postgres_tables(url)
    yield url


@pytest.fixture(params=_backends())
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for one test, with no tables at all, on each backend.

    PostgreSQL: a new database on TEST_DATABASE_URL's server (its role may CREATEDB),
    dropped after the test, so a test may build, wipe and rebuild it (backups, upgrades).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    if not TEST_DATABASE_URL:
        pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
    with own_postgres_database("portal_own") as url:
        yield url


@contextlib.contextmanager
def own_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database on TEST_DATABASE_URL's server (its role may CREATEDB), dropped
    on the way out; yields its URL."""
    server_url = make_url(TEST_DATABASE_URL)
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_postgres_database(name)


def drop_postgres_database(name: str, attempts: int = 20) -> None:
    """Drop a test database on TEST_DATABASE_URL's server, even if something still uses it.

    WITH (FORCE) ends the other sessions on it; an autovacuum worker among them belongs
    to no role, so a role that is not a member of pg_signal_backend may not end it and
    the drop is refused. CI grants that role; elsewhere the drop waits for the worker,
    which is done within a second on these small databases. The engine is disposed
    however the drop ends: a connection left open would be reported (ResourceWarning)
    in whichever later test happens to collect it.
    """
    admin = create_engine(make_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(attempts):
            try:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError as error:
                if not isinstance(error.orig, InsufficientPrivilege) or attempt == attempts - 1:
                    raise
                time.sleep(0.25)
    finally:
        admin.dispose()


# --- Valkey (the server and `redis_url` come from tests/conftest.py) ---------------


@pytest.fixture
def redis_connection(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the test Valkey, as the grader and the web-worker would have."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def grading_queue(redis_connection: redis.Redis) -> Queue:
    """The real `grading` queue, as a grader sees it."""
    return Queue(contract.GRADING_QUEUE, connection=redis_connection, serializer=JSONSerializer)


@pytest.fixture
def results_queue(redis_connection: redis.Redis) -> Queue:
    """The real `grading-results` queue, as a grader publishes to it."""
    return Queue(contract.RESULTS_QUEUE, connection=redis_connection, serializer=JSONSerializer)


# --- the app -----------------------------------------------------------------------------


@pytest.fixture
def app_config(database_url: str, redis_url: str, tmp_path: Path) -> dict:
    """The test app's configuration; a test may change it before asking for `app`."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "CONTENT_DIR": str(REPO_ROOT / "content"),
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        # Mail (reset links) goes to files here, never to the checkout's instance folder.
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


@pytest.fixture
def make_app(app_config: dict) -> Iterator:
    """Build more apps on the same database, e.g. one whose Redis is down."""
    apps: list[Flask] = []

    def make(**overrides) -> Flask:
        app = create_app({**app_config, **overrides})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["result_listener"].stop()  # the lab page's stream's thread, if any
        app.extensions["result_listener"].join()
        app.extensions["db_engine"].dispose()
        app.extensions["redis_pool"].disconnect()


@pytest.fixture
def app(make_app) -> Flask:
    """The portal with a fresh database holding the default school."""
    app = make_app()
    with app.app_context():
        session = get_db()
        session.add(School(slug="default", name="Default School"))
        session.commit()
    return app


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database, outside any request."""
    session = app.extensions["db_sessionmaker"]()
    yield session
    session.close()


@pytest.fixture
def default_school(db: Session) -> School:
    """The school every request without a matching host label belongs to."""
    return db.scalars(select(School).where(School.slug == "default")).one()


@pytest.fixture
def make_user(app: Flask, db: Session, default_school: School):
    """Create an account directly (not through the pages)."""

    def make(
        email: str = "ada@example.org",
        password: str = "correct horse battery",
        display_name: str = "Ada",
        role: Role = Role.STUDENT,
        school: School | None = None,
    ) -> User:
        with app.app_context():
            return register_user(
                db,
                school or default_school,
                email=email,
                display_name=display_name,
                password=password,
                role=role,
            )

    return make


class Browser:
    """A test client that fills forms like a person: with the CSRF token of the page."""

    TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str = "/auth/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = self.TOKEN.search(page) or re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict, form_page: str | None = None, **kwargs):
        token = self.csrf_token(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": token}, **kwargs)

    def register(self, email: str, display_name: str, password: str):
        return self.post_form(
            "/auth/register",
            {"email": email, "display_name": display_name, "password": password},
        )

    def log_in(self, email: str, password: str):
        return self.post_form("/auth/login", {"email": email, "password": password})

    def log_out(self):
        return self.post_form("/auth/logout", {}, form_page="/")

    def submit_code(self, code: str = "", upload: tuple[bytes, str] | None = None, **kwargs):
        path = "/courses/node-workers/labs/thread-lab"
        data: dict = {"code": code}
        if upload is not None:
            from io import BytesIO

            data["upload"] = (BytesIO(upload[0]), upload[1])
        return self.post_form(path, data, content_type="multipart/form-data", **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_browser():
    """A new visitor of `app` (any app built by `make_app`)."""
    return lambda app: Browser(app.test_client())


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    """An anonymous visitor."""
    return Browser(client)


@pytest.fixture
def make_grade_result():
    """Build GradeResults as the Node grader would publish them."""
    return grade_result


def grade_result(submission_id: str, tenant_id: str, verdict: str = "passed", **changes):
    """A GradeResult as the Node grader would publish it."""
    fields = dict(
        schema_version=contract.GRADE_RESULT_VERSION,
        submission_id=submission_id,
        tenant_id=tenant_id,
        lab_id="thread-lab",
        verdict=verdict,
        score=1.0 if verdict == "passed" else 0.25,
        gradable=verdict != "infra_error",
        checks=(
            contract.CheckResult("imports_worker_threads", True, "You imported it."),
            contract.CheckResult("sends_message", verdict == "passed", "<b>A message</b> crossed."),
        ),
        feedback="Well done, the event loop stayed free.",
        output=contract.Output("hello from <worker>\n", False, 20),
        measurements={"event_loop_p99_ms": 3.5},
        achievements=(contract.AchievementEvent("lab_passed", "thread-lab"),),
        times=contract.PhaseTimes("2026-01-01T00:00:00+00:00", "", "", ""),
    )
    fields.update(changes)
    return contract.GradeResult(**fields)


# What a grader sends with a measured run (GradeResult version 2): the portal draws it as is.
CHART_ANALYSIS = {
    "charts": [
        {
            "title": "Speedup of the workers over the main thread",
            "unit": "x",
            "bars": [
                {"label": "Measured speedup", "value": 1.7, "text": "1.7x", "role": "measured"}
            ],
            "ideal": 2.0,
            "ideal_label": "Ideal on this quota: 2x",
        }
    ]
}


STUDENT_EMAIL = "ada@example.org"
STUDENT_PASSWORD = "correct horse battery"
# The password of every other account the tests make.
PASSWORD = "a long enough password"


@pytest.fixture
def student(make_user) -> User:
    """A student account at the default school."""
    return make_user(STUDENT_EMAIL, STUDENT_PASSWORD)


@pytest.fixture
def submission(db, student) -> Submission:
    """A Thread Lab submission of `student`, not graded yet."""
    submission = Submission(
        tenant_id=student.tenant_id,
        user_id=student.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log(1)",
        entrypoint="main.js",
    )
    db.add(submission)
    db.commit()
    return submission


@pytest.fixture
def student_browser(browser: Browser, student: User) -> Browser:
    """A visitor logged in as `student`."""
    response = browser.log_in(STUDENT_EMAIL, STUDENT_PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def log_in_as(make_browser, app, user: User) -> Browser:
    """A new visitor logged in as `user` (whose password is PASSWORD)."""
    browser = make_browser(app)
    response = browser.log_in(user.email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.fixture
def people(make_user) -> dict[str, User]:
    """One account of each role at the default school."""
    return {
        role.value: make_user(f"{role.value}@example.org", PASSWORD, role.value.title(), role)
        for role in Role
    }


@pytest.fixture
def browsers(app, make_browser, people) -> dict[str, Browser]:
    """A logged-in visitor per role, and a guest."""
    found = {role: log_in_as(make_browser, app, user) for role, user in people.items()}
    found["guest"] = make_browser(app)
    return found


@pytest.fixture
def other_school(db: Session, make_user) -> tuple[School, User]:
    """A second school with a student, to check that its ids answer 404."""
    school = School(slug="school-b", name="School B")
    db.add(school)
    db.commit()
    return school, make_user("b@school-b.example.org", PASSWORD, "Bea", school=school)


@pytest.fixture
def pupil(make_user) -> User:
    """A student without premium."""
    return make_user("pupil@example.org", PASSWORD, "Pupil")


@pytest.fixture
def pupil_browser(app, make_browser, pupil) -> Browser:
    """A visitor logged in as `pupil`."""
    return log_in_as(make_browser, app, pupil)
