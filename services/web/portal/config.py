"""Configuration from the environment, with development defaults that need no setup.

Everything the portal needs to know about its surroundings comes through here, so the
factory stays free of environment lookups and a test can override any key by mapping.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from portal.graders import GraderQueuesError, grader_queues_from_env
from portal.labs.push import streams_per_worker

# services/web/portal/config.py -> the repository root (the workspace is installed editable).
REPO_ROOT = Path(__file__).resolve().parents[3]


class ConfigError(RuntimeError):
    """The configuration cannot work; the text says which setting and why."""


def load_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the app's config: defaults, then environment variables, then `overrides`."""
    config: dict[str, Any] = {
        "PORTAL_ENV": os.environ.get("PORTAL_ENV", "development"),
        "DATABASE_URL": os.environ.get("PORTAL_DATABASE_URL") or _default_database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CONTENT_DIR": os.environ.get("CONTENT_DIR", str(REPO_ROOT / "content")),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # Where the default school is served; other schools are <slug>.<this host>.
        "BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://localhost:5000"),
        # Submissions: the limits a student meets before anything is queued.
        "MAX_CODE_BYTES": 64 * 1024,
        "MAX_IN_FLIGHT_PER_USER": 3,
        "GRADING_QUEUE_LIMIT": 1000,
        "RETRY_AFTER_SECONDS": 10,
        # Fairness between schools (portal.labs.fairness): grading jobs one school may have
        # on the queue at once (0: all the graders listening but one), and submissions one
        # school may have in flight before it is answered 429.
        "GRADING_MAX_PER_SCHOOL": int(os.environ.get("GRADING_MAX_PER_SCHOOL", "0")),
        "GRADING_SCHOOL_BACKLOG_LIMIT": int(os.environ.get("GRADING_SCHOOL_BACKLOG_LIMIT", "300")),
        # "Run before you submit": ungraded runs per student per minute, and at most this
        # many of them waiting or running at once.
        "RUNS_PER_MINUTE": int(os.environ.get("RUNS_PER_MINUTE", "6")),
        "RUNS_IN_FLIGHT_PER_USER": 1,
        # Lab pages one web worker process streams a submission's result to at once
        # (portal.labs.push); gunicorn.conf.py gives each worker as many threads more.
        "PUSH_STREAMS_PER_WORKER": streams_per_worker(),
        # Refuse huge request bodies before they are parsed (the code limit is far below).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # argon2-cffi profile name; tests pick CHEAPEST to stay fast.
        "PASSWORD_HASH_PROFILE": "RFC_9106_LOW_MEMORY",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Reverse proxies in front of the app (0: none). Only then are X-Forwarded-For,
        # -Proto and -Host believed, so the client's address and https are seen as they are.
        "TRUSTED_PROXY_COUNT": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
        # GET /metrics asks for "Authorization: Bearer <this>"; unset, it answers loopback only.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        # Login throttling: failures per email (since its last success) and per address
        # within the window before logins are refused for the rest of the window.
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "LOGIN_LOCKOUT_MINUTES": 15,
        # The Holo-Net: an account is "new" while it is younger than the age AND has less
        # EXP than the minimum; new accounts post and comment less per hour.
        "FEED_TRUST_MIN_AGE_DAYS": 3,
        "FEED_TRUST_MIN_EXP": 100,
        "FEED_NEW_POSTS_PER_HOUR": 3,
        "FEED_NEW_COMMENTS_PER_HOUR": 10,
        "FEED_TRUSTED_POSTS_PER_HOUR": 30,
        "FEED_TRUSTED_COMMENTS_PER_HOUR": 120,
        # Consult A.D.A.: questions per student per hour, and how long a school's own chat
        # endpoint may take before the offline engine answers instead.
        "ADA_QUESTIONS_PER_HOUR": 20,
        "ADA_ENDPOINT_TIMEOUT_SECONDS": 20.0,
        # Outgoing mail (password reset links): SMTP when a host is set, otherwise each
        # message is written as an .eml file to MAIL_OUTBOX_DIR (<instance>/outbox).
        "MAIL_SMTP_HOST": os.environ.get("MAIL_SMTP_HOST", ""),
        "MAIL_SMTP_PORT": int(os.environ.get("MAIL_SMTP_PORT", "587")),
        "MAIL_SMTP_USER": os.environ.get("MAIL_SMTP_USER", ""),
        "MAIL_SMTP_PASSWORD": os.environ.get("MAIL_SMTP_PASSWORD", ""),
        # "starttls" (port 587), "ssl" (port 465) or "none" (a relay on localhost).
        "MAIL_SMTP_TLS": os.environ.get("MAIL_SMTP_TLS", "starttls"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Course Platform <no-reply@localhost>"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(Path(instance_path) / "outbox")),
    }
    config.update(overrides or {})
    if "GRADER_QUEUES" not in config:
        try:
            config["GRADER_QUEUES"] = grader_queues_from_env()
        except GraderQueuesError as error:
            raise ConfigError(str(error)) from error
    production = config["PORTAL_ENV"] == "production"
    config.setdefault("SESSION_COOKIE_SECURE", production)
    # One event a line, as JSON, in production; readable lines on a developer's terminal.
    default_log_format = "json" if production else "text"
    config.setdefault("LOG_FORMAT", os.environ.get("LOG_FORMAT") or default_log_format)
    if config["LOG_FORMAT"] not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT: expected json or text, not {config['LOG_FORMAT']!r}")
    if not config["SECRET_KEY"]:
        if production:
            # Refusing anyway: say everything that is wrong at once (see portal.production).
            raise ConfigError(refusal(unsafe_production_settings(config)))
        config["SECRET_KEY"] = _development_secret_key(Path(instance_path))
    return config


def unsafe_production_settings(config: Mapping[str, Any]) -> list[str]:
    """One line per setting that production must not run with (see portal.production)."""
    problems = []
    if not config["SECRET_KEY"]:
        problems.append(
            "SECRET_KEY is not set: generate one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    if str(config["DATABASE_URL"]).startswith("sqlite"):
        problems.append(
            "PORTAL_DATABASE_URL is SQLite: production needs PostgreSQL "
            "(postgresql+psycopg://USER:PASSWORD@HOST/NAME)"
        )
    base_url = urlsplit(str(config["BASE_URL"]))
    if base_url.scheme != "https" or not base_url.hostname:
        problems.append(f"PORTAL_BASE_URL is not an https:// URL: {config['BASE_URL']}")
    return problems


def refusal(problems: list[str]) -> str:
    """The refusal's text: a heading, then each problem on a line of its own."""
    return "\n".join(["PORTAL_ENV=production refuses to start:", *(f"  {p}" for p in problems)])


def _default_database_url() -> str:
    var_dir = REPO_ROOT / "var"
    var_dir.mkdir(exist_ok=True)
    return f"sqlite:///{var_dir / 'portal.sqlite3'}"


def _development_secret_key(instance_dir: Path) -> str:
    """Keep one generated key per checkout, so dev sessions survive a restart.

    Created with O_EXCL: gunicorn workers starting together must all end up with the one
    key that won, or a session signed by one worker would be refused by another.
    """
    key_file = instance_dir / "secret_key"
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_file)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def _read_key(key_file: Path) -> str:
    # Another process may have created the file a moment ago and not written it yet.
    for _ in range(50):
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise ConfigError(f"SECRET_KEY: {key_file} is empty; delete it or set SECRET_KEY")
