"""Upgrades keep the data: rows written at any older revision mean the same at head.

A database is built at each older revision, every table that exists there is filled,
and it is migrated to head: every row keeps every value, and the columns the upgrade
added hold the defaults listed here (a new NOT NULL column must say what old rows get).
One step down and up again keeps what the older schema holds. SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from portal.db import make_engine
from portal.migrations import alembic_config, downgrade_database, upgrade_database
from tests.web.platform.rows_support import column_names, populate_every_table, read_every_table

SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEAD = SCRIPTS.get_current_head()
OLDER_REVISIONS = [rev.revision for rev in reversed(list(SCRIPTS.walk_revisions()))][:-1]
# What rows that existed before a column was added hold in it after the upgrade. A column
# not listed must come out NULL.
NEW_COLUMN_VALUES = {
    ("schools", "is_active"): True,
    ("schools", "brand_colour"): "#3b5bdb",
    ("schools", "signup_policy"): "open",
    ("schools", "ada_endpoint_enabled"): False,
}

Snapshot = dict[str, dict[str, list]]  # table -> column -> values, by primary key


@pytest.fixture
def engine(empty_database_url: str):
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as connection:
        names, rows = column_names(connection), read_every_table(connection)
    return {
        table: {column: [row[i] for row in rows[table]] for i, column in enumerate(columns)}
        for table, columns in names.items()
    }


@pytest.mark.parametrize("start", OLDER_REVISIONS)
def test_every_row_survives_the_upgrade_to_head(engine, start):
    upgrade_database(engine, start)
    with engine.begin() as connection:
        populate_every_table(connection)
    before = snapshot(engine)

    upgrade_database(engine)
    after = snapshot(engine)

    for table, columns in before.items():
        assert table in after, f"{table} was dropped by the upgrade from {start}"
        for column, values in columns.items():
            assert after[table][column] == values, f"{table}.{column} changed from {start}"
        for column in after[table].keys() - columns.keys():
            expected = NEW_COLUMN_VALUES.get((table, column))
            assert after[table][column] == [expected] * len(values), f"{table}.{column}"


def test_one_step_down_and_up_again_keeps_what_the_older_schema_holds(engine):
    upgrade_database(engine)
    with engine.begin() as connection:
        populate_every_table(connection)
    before = snapshot(engine)
    previous = SCRIPTS.get_revision(HEAD).down_revision

    downgrade_database(engine, previous)
    kept = snapshot(engine)
    upgrade_database(engine)
    after = snapshot(engine)

    for table, columns in kept.items():
        for column, values in columns.items():
            assert values == before[table][column], f"{table}.{column} changed going down"
            assert after[table][column] == values, f"{table}.{column} changed coming back"
    # What only the newest revision holds is gone: the documented price of a downgrade.
    for table in before.keys() - kept.keys():
        assert all(values == [] for values in after[table].values()), table
