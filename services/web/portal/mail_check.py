"""`flask --app portal mail test --to ADDRESS`: is outgoing mail set up right?

Sends one message through `portal.mail` exactly as a password reset would go, and says
what happened in the operator's terms: the server's reply code and text, or which step
failed (connection, TLS, login, the server refusing the message), exit status 1. The
SMTP password never appears in what it prints.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from portal.mail import MailNotSent, send_mail

mail_commands = AppGroup("mail", help="Outgoing mail.")


@mail_commands.command("test")
@click.option("--to", "address", required=True, help="Where to send the test message.")
@with_appcontext
def mail_test(address: str) -> None:
    """Send a test message through the configured SMTP server and report its answer."""
    config = current_app.config
    host, port, tls = config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], config["MAIL_SMTP_TLS"]
    where = f"{host}:{port} (TLS: {tls}, login: {config['MAIL_SMTP_USER'] or 'none'})"
    if host:
        click.echo(f"Sending a test message to {address} through {where}")
    body = (
        "This is a test message from the course platform"
        f" ({config['BASE_URL']}), sent {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by"
        " `flask --app portal mail test`. Password reset links will arrive the same way."
    )
    try:
        delivery = send_mail(address, "Course platform: test message", body)
    except MailNotSent as error:
        reason = _hide(describe_failure(error.__cause__), config["MAIL_SMTP_PASSWORD"])
        raise click.ClickException(f"not sent: {reason}") from error
    if delivery.outbox_file is not None:
        click.echo(
            "No SMTP server is configured (MAIL_SMTP_HOST is empty): messages go to the"
            f" outbox directory {delivery.outbox_file.parent}; this one is"
            f" {delivery.outbox_file.name}"
        )
        return
    reply = _hide(delivery.reply_text, config["MAIL_SMTP_PASSWORD"])
    click.echo(f"Accepted by {host}:{port}: {delivery.reply_code} {reply}")


def describe_failure(error: BaseException | None) -> str:
    """One line saying which step failed and what the server or the network said."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"login failed (MAIL_SMTP_USER / MAIL_SMTP_PASSWORD): {_reply(error)}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"the server does not offer it: {error}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = error.recipients.items()
        replies = "; ".join(f"{to}: {_reply_of(*answer)}" for to, answer in answers)
        return f"recipient refused: {replies}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server refused: {_reply(error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection: {error}"
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return f"TLS failed (MAIL_SMTP_TLS): {error}"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused: nothing listens on MAIL_SMTP_HOST:MAIL_SMTP_PORT"
    if isinstance(error, socket.gaierror):
        return f"MAIL_SMTP_HOST does not resolve: {error.strerror}"
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer: the connection timed out"
    if isinstance(error, OSError):
        return f"network error: {error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_of(error.smtp_code, error.smtp_error)


def _reply_of(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{code} {text}"


def _hide(text: str, secret: str) -> str:
    # A server could echo what it was sent; the password must never reach a terminal.
    return text.replace(secret, "********") if secret else text
