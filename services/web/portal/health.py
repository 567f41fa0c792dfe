"""Probes for the orchestrator: `/healthz` (the process answers) and `/readyz` (it can work).

`/healthz` touches nothing: 200 and `{"status": "ok"}` while the process can answer at
all. `/readyz` checks the database (reachable and migrated) and Valkey (answers PING) with
their own connections and short timeouts, and answers 200 with what it checked or 503
naming what failed, e.g. `{"database": "ok", "valkey": "unreachable"}`: never a URL, a
password or an error's text.

Both are `without_school` (no school is resolved, no login loaded, so no request session
touches the database) and exempt from CSRF, so they answer 200 or 503, never 500, while
PostgreSQL or Valkey is down.

`/favicon.ico`, which every browser asks of every site unprompted, is answered here for the
same reason: a static icon that needs no school and no database.
"""

from __future__ import annotations

from pathlib import Path

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from portal.database_state import DatabaseState, database_state
from portal.security import csrf
from portal.tenancy import without_school

bp = Blueprint("health", __name__)
csrf.exempt(bp)

# Seconds. Together under the 3 s compose and Kubernetes give a probe: one that waits
# longer tells the orchestrator nothing. libpq rounds a connect timeout below 2 s up to 2.
DATABASE_TIMEOUT_SECONDS = 2
VALKEY_TIMEOUT_SECONDS = 1


def init_app(app: Flask) -> None:
    """Register the probes and the readiness check's own engine (no connection yet)."""
    app.extensions["readiness_engine"] = readiness_engine(app.config["DATABASE_URL"])
    app.register_blueprint(bp)


def readiness_engine(url: str) -> Engine:
    """An engine with short connect and statement timeouts and no pool.

    Not the app's engine: its connections wait as long as the driver does (minutes on a
    host that drops packets), and a probe must not hold a pooled connection requests need.
    """
    if url.startswith("sqlite"):
        connect_args: dict = {"timeout": DATABASE_TIMEOUT_SECONDS}
    else:
        connect_args = {
            "connect_timeout": DATABASE_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={DATABASE_TIMEOUT_SECONDS * 1000}",
        }
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


@bp.get("/healthz")
@without_school
def healthz():
    """The process is alive and serving; nothing else is checked."""
    return _no_store(jsonify(status="ok"), 200)


@bp.get("/readyz")
@without_school
def readyz():
    """Database and Valkey reachable: 200 with what was checked, else 503 naming the failure."""
    checks = {
        "database": database_state(current_app.extensions["readiness_engine"]).value,
        "valkey": valkey_state(current_app.config["REDIS_URL"]),
    }
    ready = checks["database"] == DatabaseState.READY.value and checks["valkey"] == "ok"
    return _no_store(jsonify(checks), 200 if ready else 503)


@bp.get("/favicon.ico")
@without_school
def favicon():
    """The site's icon (static/favicon.ico), cached for a day.

    Read whole and answered as bytes: a few hundred bytes asked of every page, so no file
    stays open behind a response that a client does not read to its end.
    """
    icon = Path(current_app.static_folder, "favicon.ico").read_bytes()
    response = Response(icon, mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


def valkey_state(url: str) -> str:
    """ "ok" when Valkey answers PING within the timeout, else "unreachable"."""
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=VALKEY_TIMEOUT_SECONDS,
        socket_timeout=VALKEY_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError):
        return "unreachable"
    finally:
        client.close()
    return "ok"


def _no_store(response, status: int):
    response.headers["Cache-Control"] = "no-store"
    return response, status
