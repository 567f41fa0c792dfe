"""Whether the database can be used: reachable, and migrated at least once.

The web's readiness probe, the production start check and the operators' CLI all ask the
same question before they touch a table, so a database that is down or still empty gets a
one-line answer instead of a SQLAlchemy traceback. Every operators' command that reads or
writes tables says so with `@usable_database_required`.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from portal.db import get_engine

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


Params = ParamSpec("Params")
Returned = TypeVar("Returned")


def require_usable_database(engine: Engine) -> None:
    """Stop a command with one line when the database cannot be used, before any table is
    touched (an operator who has not migrated yet gets the command to run, not a traceback)."""
    if require_reachable_database(engine) is DatabaseState.NOT_MIGRATED:
        raise click.ClickException(NOT_MIGRATED_MESSAGE)


def require_reachable_database(engine: Engine) -> DatabaseState:
    """Stop a command with one line when the database cannot be reached; else its state.

    For the commands that also work on an empty database (`db upgrade`, `backup`).
    """
    state = database_state(engine)
    if state is DatabaseState.UNREACHABLE:
        raise click.ClickException(UNREACHABLE_MESSAGE)
    return state


def usable_database_required(command: Callable[Params, Returned]) -> Callable[Params, Returned]:
    """A CLI command's callback that checks the app's database first (inside the app context).

    On the command, not on its group: a group's callback runs before its subcommand's
    options are parsed, so `--help` or a bad option would need a database too.
    """

    @functools.wraps(command)
    def checked(*args: Params.args, **kwargs: Params.kwargs) -> Returned:
        require_usable_database(get_engine())
        return command(*args, **kwargs)

    return checked
