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
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text message to one address; raises MailNotSent on an SMTP failure."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if config["MAIL_SMTP_HOST"]:
        _send_smtp(message, config)
    else:
        _write_to_outbox(message, Path(config["MAIL_OUTBOX_DIR"]))


def _send_smtp(message: EmailMessage, config: Mapping[str, Any]) -> None:
    host, port = config["MAIL_SMTP_HOST"], int(config["MAIL_SMTP_PORT"])
    tls = config["MAIL_SMTP_TLS"]
    connect = smtplib.SMTP_SSL if tls == "ssl" else smtplib.SMTP
    try:
        with connect(host, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if tls == "starttls":
                smtp.starttls()
            if config["MAIL_SMTP_USER"]:
                smtp.login(config["MAIL_SMTP_USER"], config["MAIL_SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The error's type only: its text could quote the server's reply to our message.
        log.error("mail to %s:%s not sent: %s", host, port, type(error).__name__)
        raise MailNotSent(type(error).__name__) from error
    log.info("mail sent through %s:%s", host, port)


def _write_to_outbox(message: EmailMessage, outbox: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
    # Owner-only: the message may hold a reset link.
    path.touch(mode=0o600)
    path.write_bytes(bytes(message))
    log.info("mail written to the outbox: %s", path.name)
    return path
