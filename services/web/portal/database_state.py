"""Whether the database can be used: reachable, and migrated at least once.

The web's readiness probe, the production start check and the operators' CLI all ask the
same question before they touch a table, so a database that is down or still empty gets a
one-line answer instead of a SQLAlchemy traceback.
"""

from __future__ import annotations

import enum

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

NOT_MIGRATED_MESSAGE = "the database has no tables: run `flask --app portal db upgrade`"
UNREACHABLE_MESSAGE = "the database cannot be reached: check PORTAL_DATABASE_URL"


class DatabaseState(enum.Enum):
    """What a probe found; the values are what /readyz shows."""

    READY = "ok"
    NOT_MIGRATED = "not migrated"
    UNREACHABLE = "unreachable"


def database_state(engine: Engine) -> DatabaseState:
    """Connect once: unreachable, without Alembic's revision (never migrated), or ready.

    Only "never migrated" is told apart from ready, not "behind the code's head": during a
    rolling deploy the old web's code is behind a database the new one migrated, and it
    must stay ready meanwhile.
    """
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return DatabaseState.NOT_MIGRATED
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError:
        return DatabaseState.UNREACHABLE
    return DatabaseState.READY if revision else DatabaseState.NOT_MIGRATED
