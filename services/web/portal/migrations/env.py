"""Alembic's entry point: migrate the connection the portal hands over, or the env's URL.

From code (`upgrade_database`) a connection arrives in `config.attributes`; from the
`alembic` CLI the URL comes from PORTAL_DATABASE_URL like the app's own.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from portal.config import load_config
from portal.db import make_engine
from portal.migrations import sqlite_foreign_keys_off
from portal.models import Base

config = context.config


def run_migrations(connection) -> None:
    # Batch mode lets later migrations alter tables on SQLite (copy and move).
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    url = load_config(instance_path="instance", overrides={"SECRET_KEY": "unused"})["DATABASE_URL"]
    engine = make_engine(url)
    with engine.connect() as cli_connection, sqlite_foreign_keys_off(cli_connection):
        with cli_connection.begin():
            run_migrations(cli_connection)
    engine.dispose()
