"""The SQLAlchemy engine and the per-request session.

One engine per app (it owns the connection pool); one session per app context, opened on
first use by `get_db()` and closed at teardown, so a request or a worker job never sees
another one's uncommitted state.

In a request the session is scoped to the request's school (see `portal.scoping`, set by
`portal.tenancy`). Code that works across schools on purpose (the results worker, the
CLI) asks for `get_unscoped_db()` instead, which refuses to run inside a request. The
platform admin's pages read across schools through `open_cross_school_session()`, which
only a platform admin's request may open and which cannot write.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from portal import bidi, scoping
from portal.models import Role


def init_app(app: Flask) -> None:
    """Create the engine and session factory (no connection is opened yet)."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    factory = sessionmaker(engine, expire_on_commit=False)
    scoping.install(factory)
    bidi.install(factory)
    app.extensions["db_sessionmaker"] = factory
    app.teardown_appcontext(close_db)


def make_engine(url: str) -> Engine:
    """An engine with the settings each backend needs to behave like the other."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(dbapi_connection, _record) -> None:
    # SQLite leaves foreign keys off by default; WAL lets the web-worker write while
    # requests read.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def get_engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db_engine"]


def get_db() -> Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def get_unscoped_db() -> Session:
    """The context's session, deliberately not scoped to any school.

    For the results worker (it records results for every school), the CLI and
    migrations. Inside a request it raises: a request only ever sees its own school.
    """
    if has_request_context():
        raise RuntimeError("a request's session is scoped to its school; use get_db()")
    session = get_db()
    if scoping.session_tenant(session) is not None:
        raise RuntimeError("this context's session is already scoped to a school")
    return session


def open_cross_school_session() -> Session:
    """A read-only session that sees every school: for platform-admin views ONLY.

    The platform's operators need numbers across schools (users and submissions per
    school, grading activity) from inside a request, where `get_db()` sees one school.
    Defence in depth: it refuses unless the request's user is a platform admin, and any
    flush through it raises, so it can never write a tenant-owned row. Cached on `g`
    and closed at teardown.
    """
    user = g.get("user") if has_request_context() else None
    if user is None or user.role != Role.PLATFORM_ADMIN:
        raise PermissionError("only a platform admin's request may read across schools")
    if "cross_school_db_session" not in g:
        session = current_app.extensions["db_sessionmaker"]()
        event.listen(session, "before_flush", _refuse_cross_school_writes)
        g.cross_school_db_session = session
    return g.cross_school_db_session


def _refuse_cross_school_writes(_session: Session, _context, _instances) -> None:
    raise PermissionError("the cross-school session is read-only; write through get_db()")


def close_db(_exception: BaseException | None = None) -> None:
    """Close the context's sessions; anything not committed is rolled back."""
    for key in ("db_session", "cross_school_db_session"):
        session = g.pop(key, None)
        if session is not None:
            session.close()
