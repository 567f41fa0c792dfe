"""`flask --app portal mail test`: the operator learns what the SMTP server answered.

Against a real SMTP server on loopback (aiosmtpd), with and without a login, and with
nothing listening at all.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask import Flask

from portal import create_app

REPO_ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "s3cret-Pa55word"
# The test server asks for a login over plain text on loopback, on purpose; aiosmtpd warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Inbox:
    """An aiosmtpd handler that keeps what it accepted."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Queued as TEST42"


def accept_only(user: bytes, password: bytes):
    def authenticate(server, session, envelope, mechanism, auth_data):
        # handled=False: aiosmtpd then answers a refusal itself (535); True means "replied".
        accepted = auth_data.login == user and auth_data.password == password
        return AuthResult(success=accepted, handled=False)

    return authenticate


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator:
    """Start a real SMTP server on 127.0.0.1; `start(**options)` returns (inbox, port)."""
    controllers = []

    def start(**options):
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_app(tmp_path: Path) -> Iterator:
    """Build the portal with mail settings; no database or queue is touched."""
    apps: list[Flask] = []

    def make(**mail) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                "SECRET_KEY": "test-secret-key",
                "CONTENT_DIR": str(REPO_ROOT / "content"),
                "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
                "MAIL_SMTP_TLS": "none",
                **mail,
            }
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db_engine"].dispose()


def mail_test(app: Flask, to: str = "ops@example.org"):
    return app.test_cli_runner().invoke(args=["mail", "test", "--to", to])


def test_the_server_answer_is_reported_and_the_message_arrives(mail_app, smtp_server):
    inbox, port = smtp_server()
    app = mail_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port)

    result = mail_test(app, "ops@example.org")

    assert result.exit_code == 0, result.output
    assert f"Accepted by 127.0.0.1:{port}: 250 2.0.0 Queued as TEST42" in result.output
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ops@example.org"]
    assert b"Subject: Course platform: test message" in envelope.content


def test_a_login_the_server_accepts(mail_app, smtp_server):
    inbox, port = smtp_server(
        authenticator=accept_only(b"platform", PASSWORD.encode()),
        auth_required=True,
        auth_require_tls=False,
    )
    app = mail_app(
        MAIL_SMTP_HOST="127.0.0.1",
        MAIL_SMTP_PORT=port,
        MAIL_SMTP_USER="platform",
        MAIL_SMTP_PASSWORD=PASSWORD,
    )

    result = mail_test(app)

    assert result.exit_code == 0, result.output
    assert "250 2.0.0 Queued as TEST42" in result.output
    assert len(inbox.envelopes) == 1
    assert PASSWORD not in result.output


def test_a_wrong_password_says_login_failed_and_never_prints_it(mail_app, smtp_server):
    inbox, port = smtp_server(
        authenticator=accept_only(b"platform", b"the right one"),
        auth_required=True,
        auth_require_tls=False,
    )
    app = mail_app(
        MAIL_SMTP_HOST="127.0.0.1",
        MAIL_SMTP_PORT=port,
        MAIL_SMTP_USER="platform",
        MAIL_SMTP_PASSWORD=PASSWORD,
    )

    result = mail_test(app)

    assert result.exit_code == 1
    assert "not sent: login failed" in result.output and "535" in result.output
    assert PASSWORD not in result.output
    assert inbox.envelopes == []


def test_a_server_that_requires_a_login_we_lack(mail_app, smtp_server):
    inbox, port = smtp_server(
        authenticator=accept_only(b"platform", b"x"), auth_required=True, auth_require_tls=False
    )
    app = mail_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port)

    result = mail_test(app)

    assert result.exit_code == 1
    assert "not sent: the server refused: 530" in result.output, result.output
    assert inbox.envelopes == []


def test_nothing_listening_is_connection_refused(mail_app):
    app = mail_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=free_port())

    result = mail_test(app)

    assert result.exit_code == 1
    assert "not sent: connection refused" in result.output


def test_starttls_against_a_server_without_it_says_so(mail_app, smtp_server):
    _, port = smtp_server()
    app = mail_app(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=port, MAIL_SMTP_TLS="starttls")

    result = mail_test(app)

    assert result.exit_code == 1
    assert "not sent: the server does not offer it: STARTTLS" in result.output, result.output


def test_without_an_smtp_host_it_names_the_outbox(mail_app, tmp_path):
    result = mail_test(mail_app(MAIL_SMTP_HOST=""))

    assert result.exit_code == 0, result.output
    assert "No SMTP server is configured" in result.output
    assert str(tmp_path / "outbox") in result.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
