"""Rows in every table, made from the schema itself, and every table read back whole.

The backup and upgrade tests need each table populated, including tables added after
this file was written: rows are generated from the reflected schema (types, foreign
keys, nullability) plus the models' check constraints, so a new table is covered without
a new factory. Values are chosen to be hard to carry: non-ASCII and quotes in text,
microseconds in times, NULLs, binary with every byte, JSON `null` beside SQL NULL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    cast,
    insert,
    select,
)

from portal.models import Base

ROWS_PER_TABLE = 3
IN_LIST = re.compile(r"^(\w+) IN \((.*)\)$")
EXACTLY_ONE = re.compile(r"^\((\w+) IS NULL\) <> \((\w+) IS NULL\)$")


def reflected_tables(connection: Connection) -> list[Table]:
    """The database's tables (Alembic's own left out), parents first."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def populate_every_table(
    connection: Connection,
    rows: int = ROWS_PER_TABLE,
    fixed: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Insert `rows` rows into every table; row i of a child refers to row i of its parents.

    Ids are given explicitly (1..rows), so foreign keys are known without reading back.
    The last row leaves every nullable column NULL. `fixed` sets columns to given values
    ({table: {column: value}}), e.g. a lab id the catalogue knows.
    """
    for table in reflected_tables(connection):
        for column in table.columns:
            if isinstance(column.type, JSON):
                column.type.none_as_null = True  # None is SQL NULL; JSON.NULL is JSON null
        choices, exactly_one = _constraints(table.name)
        values = [_row(table, i, rows, choices, exactly_one, connection) for i in range(rows)]
        for value in values:
            value.update((fixed or {}).get(table.name, {}))
        connection.execute(insert(table), values)


def read_every_table(connection: Connection) -> dict[str, list[tuple]]:
    """Every row of every table, by primary key; JSON as text (so `null` is not NULL)."""
    contents = {}
    for table in reflected_tables(connection):
        columns = [cast(c, Text) if isinstance(c.type, JSON) else c for c in table.columns]
        query = select(*columns).order_by(*table.primary_key.columns)
        contents[table.name] = [tuple(row) for row in connection.execute(query)]
    return contents


def column_names(connection: Connection) -> dict[str, list[str]]:
    """Each table's columns, in the order `read_every_table` returns them."""
    return {table.name: [c.name for c in table.columns] for table in reflected_tables(connection)}


def _constraints(table_name: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    choices: dict[str, list[str]] = {}
    exactly_one: list[tuple[str, str]] = []
    model_table = Base.metadata.tables.get(table_name)
    for constraint in getattr(model_table, "constraints", ()):
        sql = str(getattr(constraint, "sqltext", ""))
        if match := IN_LIST.match(sql):
            choices[match[1]] = [v.strip().strip("'") for v in match[2].split(",")]
        elif match := EXACTLY_ONE.match(sql):
            exactly_one.append((match[1], match[2]))
    return choices, exactly_one


def _row(table: Table, i: int, rows: int, choices, exactly_one, connection) -> dict[str, Any]:
    last = i == rows - 1
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key:
            row[column.name] = i + 1
        elif column.foreign_keys:
            row[column.name] = None if column.nullable and last else i + 1
            if next(iter(column.foreign_keys)).column.table is table:
                row[column.name] = i if i and not last else None  # a parent inserted before
        elif column.nullable and last:
            row[column.name] = None
        elif column.name in choices:
            row[column.name] = choices[column.name][i % len(choices[column.name])]
        else:
            row[column.name] = _value(column, i, connection.dialect.name)
    for first, second in exactly_one:
        row[first if i % 2 else second] = None
        if row[first] is None and row[second] is None:
            row[second] = i + 1
    return row


def _value(column, i: int, dialect: str) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, Integer):
        return 7 * i - 3
    if isinstance(kind, Float):
        return i + 0.1
    if isinstance(kind, DateTime):
        moment = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC) + timedelta(days=i, seconds=i)
        return moment if dialect == "postgresql" else moment.replace(tzinfo=None)
    if isinstance(kind, LargeBinary):
        return bytes(range(256)) + i.to_bytes(4, "big")
    if isinstance(kind, JSON):
        # A document that is JSON null on the first row: not the same as SQL NULL.
        return JSON.NULL if i == 0 else {"n": i, "list": [1, 2.5, "ü"], "nested": {"x": None}}
    if isinstance(kind, String) and kind.length:
        return f"{i}#{column.name}-ü"[: kind.length]
    return f"{i} {column.table.name}.{column.name}: ünïcødé 'single' \"double\"\nline ✓"
