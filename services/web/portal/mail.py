"""Sending mail: through SMTP when a server is configured, otherwise into a file outbox.

The outbox (MAIL_OUTBOX_DIR, `<instance>/outbox` by default) is the development default:
each message becomes an .eml file that any mail client opens, so a reset link can be
followed without a mail server. Messages may carry secrets (reset links), so the log says
only that a message was sent or written and to which file, never its body.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class Delivery:
    """Where a message went: the SMTP server's answer to it, or the outbox file."""

    reply_code: int | None = None  # the server's reply to the message (250: accepted)
    reply_text: str = ""
    outbox_file: Path | None = None


class _KeepsDataReply:
    """smtplib's send_message drops the server's answer to the message; keep it."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg):
        self.data_reply = super().data(msg)
        return self.data_reply


class _SMTP(_KeepsDataReply, smtplib.SMTP):
    pass


class _SMTPOverSSL(_KeepsDataReply, smtplib.SMTP_SSL):
    pass


def send_mail(to: str, subject: str, body: str) -> Delivery:
    """Send a plain-text message to one address; raises MailNotSent on an SMTP failure.

    The cause (`__cause__`) of a MailNotSent is smtplib's or the socket's exception, for
    callers that must say exactly what failed (`flask --app portal mail test`).
    """
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if config["MAIL_SMTP_HOST"]:
        return _send_smtp(message, config)
    return Delivery(outbox_file=_write_to_outbox(message, Path(config["MAIL_OUTBOX_DIR"])))


def _send_smtp(message: EmailMessage, config: Mapping[str, Any]) -> Delivery:
    host, port = config["MAIL_SMTP_HOST"], int(config["MAIL_SMTP_PORT"])
    tls = config["MAIL_SMTP_TLS"]
    connect = _SMTPOverSSL if tls == "ssl" else _SMTP
    try:
        with connect(host, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if tls == "starttls":
                smtp.starttls()
            if config["MAIL_SMTP_USER"]:
                smtp.login(config["MAIL_SMTP_USER"], config["MAIL_SMTP_PASSWORD"])
            smtp.send_message(message)
            code, text = smtp.data_reply
    except (OSError, smtplib.SMTPException) as error:
        # The error's type only: its text could quote the server's reply to our message.
        log.error("mail to %s:%s not sent: %s", host, port, type(error).__name__)
        raise MailNotSent(type(error).__name__) from error
    log.info("mail sent through %s:%s", host, port)
    return Delivery(reply_code=code, reply_text=text.decode(errors="replace"))


def _write_to_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
    # Owner-only: the message may hold a reset link.
    path.touch(mode=0o600)
    path.write_bytes(bytes(message))
    log.info("mail written to the outbox: %s", path.name)
    return path
