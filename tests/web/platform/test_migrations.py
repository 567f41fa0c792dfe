"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.db import make_engine
from portal.migrations import alembic_config, upgrade_database
from portal.models import Base


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert context.get_current_revision() == "0007"
    finally:
        engine.dispose()


def test_sqlite_runs_with_foreign_keys_and_wal(app):
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_constraints_have_stable_names(database_url):
    engine = make_engine(database_url)
    try:
        unique = {c["name"] for c in inspect(engine).get_unique_constraints("exp_entries")}
        assert "uq_exp_entries_user_id_source_key" in unique
    finally:
        engine.dispose()


def test_lab_runs_migration_goes_down_and_up_again(database_url):
    engine = make_engine(database_url)
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert "lab_runs" not in inspect(engine).get_table_names()
        upgrade_database(engine)
        assert "lab_runs" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
