"""Alembic migrations of the portal's database, runnable from code.

`flask --app portal db upgrade` calls `upgrade_database`; the test fixtures call it too,
so every test database is built by the migrations rather than by `create_all`, and the
migrations are tested on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent


def alembic_config() -> Config:
    """The Alembic config of this package (its alembic.ini, for the `alembic` CLI too)."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind `engine` to `revision`, in one transaction."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
