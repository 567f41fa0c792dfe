"""Alembic migrations of the portal's database, runnable from code.

`flask --app portal db upgrade` calls `upgrade_database`; the test fixtures call it too,
so every test database is built by the migrations rather than by `create_all`, and the
migrations are tested on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config() -> Config:
    """The Alembic config of this package (its alembic.ini, for the `alembic` CLI too)."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind `engine` to `revision`, in one transaction."""
    with engine.connect() as connection, sqlite_foreign_keys_off(connection):
        with connection.begin():
            migrate(connection, revision)


def downgrade_database(engine: Engine, revision: str) -> None:
    """Migrate the database behind `engine` back to `revision` (what is newer is lost)."""
    with engine.connect() as connection, sqlite_foreign_keys_off(connection):
        with connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)


def migrate(connection: Connection, revision: str) -> None:
    """Upgrade through `connection`, inside the caller's transaction."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, run the block with foreign keys off, then check them all.

    Batch migrations alter a SQLite table by copying it, dropping the original and
    renaming the copy; with foreign keys on, dropping a table first deletes its rows, and
    ON DELETE CASCADE then empties every table that refers to it (altering `schools` would
    delete every school's users and submissions). SQLite ignores the pragma inside a
    transaction, so it is set before the caller's transaction begins.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after migrating: {broken[:5]}")
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
