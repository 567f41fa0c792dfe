"""PORTAL_ENV=production refuses to start unsafe, for real: gunicorn and the CLI in processes.

Each refusal is one line under one heading in gunicorn's log, with no traceback, and the
server stops ("App failed to load.", exit 4) instead of restarting workers. A safe
configuration (PostgreSQL, https, a secret, no demo logins) starts and answers its probes.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal import create_app
from portal.production import unsafe_database
from tests.conftest import require
from tests.web.conftest import own_postgres_database

BIN = Path(sys.executable).parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
HEADING = "PORTAL_ENV=production refuses to start:"
NO_SECRET = "  SECRET_KEY is not set: generate one with"
SQLITE = "  PORTAL_DATABASE_URL is SQLite: production needs PostgreSQL"
NOT_HTTPS = "  PORTAL_BASE_URL is not an https:// URL: http://courses.example.org"
DEMO = "  demo logins are active (admin@example.org, instructor@example.org, platform@example.org,"
# Never contacted: the settings are refused before any connection is made.
UNUSED_POSTGRES = "postgresql+psycopg://platform:platform@127.0.0.1:1/unused"
START_SECONDS = 90


@pytest.fixture
def safe_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    """A production environment with nothing unsafe in it but the database, set per test."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "PORTAL_DATABASE_URL": UNUSED_POSTGRES,
        "PORTAL_BASE_URL": "https://courses.example.org",
        "REDIS_URL": redis_url,
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A database of its own on TEST_DATABASE_URL's server, with no tables at all."""
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set: no PostgreSQL to start on")
    with own_postgres_database("portal_production") as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "portal.wsgi:app",
    ]


def refused_start(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run gunicorn until it gives up; it must give up on its own."""
    return subprocess.run(
        gunicorn_command(free_port()),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )


def flask(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "portal", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


class Server:
    """gunicorn serving the portal in a process of its own, stopped at the end."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.log = cwd / f"gunicorn-{self.port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                gunicorn_command(self.port), env=env, cwd=cwd, stdout=log, stderr=log
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_alive(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn stopped:\n{self.log.read_text()}"
            try:
                if get(self.url("/healthz"))[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer /healthz:\n{self.log.read_text()}")

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(timeout=30)
        return self.log.read_text()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator:
    servers: list[Server] = []

    def start(env: dict[str, str]) -> Server:
        server = Server(env, tmp_path)
        servers.append(server)
        server.wait_until_alive()
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.stop()


def assert_refused_with(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 4, result.stderr  # gunicorn's "App failed to load."
    lines = result.stderr.splitlines()
    assert HEADING in lines, result.stderr
    problems = lines[lines.index(HEADING) + 1 : lines.index(HEADING) + 1 + len(expected)]
    assert [line[: len(start)] for line, start in zip(problems, expected, strict=True)] == list(
        expected
    ), result.stderr
    assert "Traceback" not in result.stderr
    assert "Reason: App failed to load." in result.stderr


@pytest.mark.parametrize(
    ("unsafe", "line"),
    [
        ({"SECRET_KEY": ""}, NO_SECRET),
        ({"PORTAL_DATABASE_URL": "sqlite:///portal.sqlite3"}, SQLITE),
        ({"PORTAL_BASE_URL": "http://courses.example.org"}, NOT_HTTPS),
    ],
    ids=["no-secret-key", "sqlite", "http-base-url"],
)
def test_gunicorn_refuses_each_unsafe_setting_in_one_line(safe_env, tmp_path, unsafe, line):
    result = refused_start({**safe_env, **unsafe}, tmp_path)
    assert_refused_with(result, line)
    others = {NO_SECRET, SQLITE, NOT_HTTPS} - {line}
    assert not [other for other in others if other in result.stderr]


def test_gunicorn_lists_every_unsafe_setting_at_once(safe_env, tmp_path):
    unsafe = {
        "SECRET_KEY": "",
        "PORTAL_DATABASE_URL": "sqlite:///portal.sqlite3",
        "PORTAL_BASE_URL": "http://courses.example.org",
    }
    result = refused_start({**safe_env, **unsafe}, tmp_path)
    assert_refused_with(result, NO_SECRET, SQLITE, NOT_HTTPS)


def test_the_web_worker_refuses_the_same_settings(safe_env, tmp_path):
    unsafe = {"PORTAL_DATABASE_URL": "sqlite:///portal.sqlite3"}
    result = flask({**safe_env, **unsafe}, tmp_path, "results-worker", "--burst")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {HEADING}",
        SQLITE + " (postgresql+psycopg://USER:PASSWORD@HOST/NAME)",
    ]


def test_a_safe_production_migrates_an_empty_database_and_starts(
    safe_env, tmp_path, empty_postgres_url, start_server
):
    env = {**safe_env, "PORTAL_DATABASE_URL": empty_postgres_url}
    migrated = flask(env, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    assert "Database is up to date." in migrated.stdout

    server = start_server(env)
    assert get(server.url("/readyz")) == (200, {"database": "ok", "valkey": "ok"})
    log = server.stop()
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert [event["event"] for event in events if event.get("event")] == ["web.started"]
    assert events[0]["service"] == "web" and events[0]["env"] == "production"
    assert empty_postgres_url.split("@")[0] not in log  # no credentials in the log


def test_the_demo_logins_stop_production_until_deactivated(
    safe_env, tmp_path, empty_postgres_url, start_server
):
    env = {**safe_env, "PORTAL_DATABASE_URL": empty_postgres_url}
    assert flask(env, tmp_path, "db", "upgrade").returncode == 0

    refused_seed = flask(env, tmp_path, "seed-demo")
    assert refused_seed.returncode == 1
    assert "seed-demo creates logins whose passwords are public" in refused_seed.stderr
    # Seeded in development, then the same database started in production.
    seeded = flask({**env, "PORTAL_ENV": "development"}, tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr

    assert_refused_with(refused_start(env, tmp_path), DEMO)

    deactivated = flask(env, tmp_path, "deactivate-demo")
    assert deactivated.returncode == 0, deactivated.stderr
    assert "Deactivated 4 demo login(s)." in deactivated.stdout
    server = start_server(env)
    assert get(server.url("/readyz")) == (200, {"database": "ok", "valkey": "ok"})


def test_an_unreachable_database_is_no_refusal_and_readyz_says_so(safe_env, start_server):
    # A worker restarted during an outage must not stop the whole server.
    server = start_server(safe_env)
    assert get(server.url("/healthz")) == (200, {"status": "ok"})
    assert get(server.url("/readyz")) == (503, {"database": "unreachable", "valkey": "ok"})


def test_the_demo_check_reads_no_table_of_an_unmigrated_database(tmp_path):
    app = create_app(
        {
            "PORTAL_ENV": "production",
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        }
    )
    assert unsafe_database(app) == []


# Every operators' command that reads or writes tables (README's "Other commands").
TABLE_COMMANDS = {
    "school-create": ["school", "create", "north", "--name", "North"],
    "school-list": ["school", "list"],
    "user-create": ["user", "create", "--school", "a", "--email", "a@b.c", "--role", "student"],
    "seed-demo": ["seed-demo"],
    "deactivate-demo": ["deactivate-demo"],
    "premium-grant": ["premium", "grant", "--school", "a", "--all"],
    "premium-codes": ["premium", "codes", "--school", "a", "--count", "1"],
    "feed-pin-guides": ["feed", "pin-guides"],
    "requeue-stale": ["requeue-stale"],
}


@pytest.mark.parametrize("command", TABLE_COMMANDS.values(), ids=TABLE_COMMANDS.keys())
def test_the_operators_cli_on_an_unmigrated_database_says_so_in_one_line(tmp_path, command):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SECRET_KEY": "x",
        "PORTAL_DATABASE_URL": f"sqlite:///{empty}",
        # Never reached: the database is checked first.
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = flask(env, tmp_path, *command)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: the database has no tables: run `flask --app portal db upgrade`\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["school", "list"],
        ["backup", "create", "--output", "backup.tar.gz"],
        ["backup", "restore", "archive.tar.gz"],
    ],
    ids=["db-upgrade", "school-list", "backup-create", "backup-restore"],
)
def test_the_operators_cli_on_an_unreachable_database_says_so_in_one_line(tmp_path, command):
    (tmp_path / "archive.tar.gz").write_bytes(b"never read")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SECRET_KEY": "x",
        "PORTAL_DATABASE_URL": "postgresql+psycopg://nobody:not-to-be-printed@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    result = flask(env, tmp_path, *command)
    assert result.returncode == 1
    assert result.stderr == "Error: the database cannot be reached: check PORTAL_DATABASE_URL\n"
    assert not (tmp_path / "backup.tar.gz").exists()


def test_the_operators_cli_help_needs_no_database(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SECRET_KEY": "x",
        "PORTAL_DATABASE_URL": "postgresql+psycopg://nobody:x@127.0.0.1:1/none",
    }
    result = flask(env, tmp_path, "user", "create", "--help")
    assert result.returncode == 0, result.stderr
    assert "--school" in result.stdout
