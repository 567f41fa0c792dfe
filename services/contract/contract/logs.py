"""The log line every service writes: one JSON object a line, or a readable line.

Shared by the portal (web, web-worker) and the graders, so that the events of one
submission can be followed through all of them with the same fields: the web that queues
it, the grader (job picked up, container started, verdict) and the web-worker that records
the result each log `submission_id` (`log_context`). `LOG_FORMAT` (`json` or `text`) picks
the format; each process installs the handler once at its entry point, on the root logger,
so the libraries' records (RQ's worker lines) come out in the same format. gunicorn's own
loggers do not propagate, so its error log and access log stay as they are.

Nothing secret reaches the output: `RedactSecrets` blanks fields and mapping keys named
like a password, token, secret or cookie, or like the student's code (`files`, `code`,
`source`), and `name=value` pairs of such names and URL passwords in the message text.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

LOG_FORMATS = ("json", "text")
REDACTED = "[redacted]"
# Field and mapping-key names whose values never reach a log (compared in lower case).
SECRET_NAMES = frozenset(
    {
        "authorization",
        "code",
        "cookie",
        "csrf_token",
        "files",
        "new_password",
        "password",
        "password_hash",
        "session",
        "source",
        "stdin",
    }
)
SECRET_PARTS = ("password", "secret", "token", "api_key", "apikey", "credential")
SECRET_PAIR = re.compile(
    r"""(?P<name>["']?[\w-]*(?:password|secret|token|api_key|apikey)[\w-]*["']?\s*[=:]\s*["']?)"""
    r"""(?P<value>[^\s&"',;)}]+)""",
    re.IGNORECASE,
)
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<value>[^@\s/]+)(?=@)")

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_context: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "service_log_context", default=None
)


class LogFormatError(ValueError):
    """LOG_FORMAT names no known format."""


def is_secret_name(name: str) -> bool:
    """Whether a field or key called `name` holds something no log may show."""
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(part in lowered for part in SECRET_PARTS)


def redact(value: Any) -> Any:
    """`value` with the values of secret-named keys blanked, in nested mappings and lists."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_secret_name(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def scrub_text(text: str) -> str:
    """`text` with `secret=value` pairs and URL passwords blanked."""
    text = SECRET_PAIR.sub(lambda m: m.group("name") + REDACTED, text)
    return URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)


def extra_fields(record: logging.LogRecord) -> list[str]:
    """The names a caller added to `record` through `extra=`."""
    return [name for name in vars(record) if name not in _RECORD_FIELDS]


class RedactSecrets(logging.Filter):
    """Blank secrets in a record before any handler formats it (the record is changed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, Mapping):
            args = redact(args)
        elif isinstance(args, tuple):
            args = tuple(redact(arg) for arg in args)
        text = str(record.msg)
        record.msg, record.args = scrub_text(text % args if args else text), None
        for name in extra_fields(record):
            value = getattr(record, name)
            setattr(record, name, REDACTED if is_secret_name(name) else redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, service, logger, message, then the event's fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update(redact(dict(_context.get() or {})))
        event.update({name: getattr(record, name) for name in extra_fields(record)})
        if record.exc_text:
            event["exception"] = record.exc_text
        return json.dumps(event, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A readable line, with the context (e.g. the submission id) at its end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {**(_context.get() or {}), **{n: getattr(record, n) for n in extra_fields(record)}}
        fields.pop("event", None)
        suffix = " ".join(f"{name}={value}" for name, value in fields.items())
        return f"{line} [{suffix}]" if suffix else line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test may swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(log_format: str, service: str, level: int = logging.INFO) -> logging.Handler:
    """Send every record at `level` or above to stderr in `log_format` (json or text), each
    JSON line naming `service` (web, web-worker, grader).

    Called once per process, at its entry point; a second call replaces the first's handler.
    """
    if log_format not in LOG_FORMATS:
        raise LogFormatError(f"LOG_FORMAT: expected json or text, not {log_format!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(JsonFormatter(service) if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` (e.g. submission_id) to every record logged inside the block."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)
