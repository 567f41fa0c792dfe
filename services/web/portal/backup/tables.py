"""Every table's rows in and out as JSON, whatever the backend and the schema revision.

Tables are reflected from the database rather than taken from the models: a backup holds
the schema the database is at, and a restore loads rows into the schema of the archive's
revision (migrated to it first), which may be older than the models.

Values cross as JSON: datetimes as ISO 8601 (UTC), binary as base64, and JSON documents
as their text, so a document that is JSON `null` stays distinct from SQL NULL.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
    text,
    type_coerce,
)

from portal.backup.archive import ArchiveError, ArchiveReader, ArchiveWriter

VERSION_TABLE = "alembic_version"
INSERT_BATCH = 500


def reflect_tables(connection: Connection) -> list[Table]:
    """The portal's tables in foreign-key order (parents first), Alembic's own left out."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


def count_rows(connection: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """Rows per table."""
    return {
        table.name: connection.scalar(select(func.count()).select_from(table)) or 0
        for table in tables
    }


def dump_tables(connection: Connection, writer: ArchiveWriter) -> dict[str, dict[str, Any]]:
    """Write every table to the archive; returns {table: {columns, rows}} for the manifest."""
    summary: dict[str, dict[str, Any]] = {}
    for table in reflect_tables(connection):
        columns = list(table.columns)
        selected = [cast(c, Text) if _is_json(c.type) else c for c in columns]
        query = select(*selected).order_by(*table.primary_key.columns or columns)
        count = 0
        with tempfile.TemporaryFile(dir=writer.path.parent) as spool:
            for row in connection.execute(query).yield_per(INSERT_BATCH):
                encoded = [_encode(value) for value in row]
                spool.write(json.dumps(encoded, ensure_ascii=False).encode() + b"\n")
                count += 1
            writer.add_spooled(f"tables/{table.name}.jsonl", spool)
        summary[table.name] = {"columns": [c.name for c in columns], "rows": count}
    return summary


def load_tables(connection: Connection, reader: ArchiveReader) -> dict[str, int]:
    """Insert the archive's rows into the (empty) tables; returns rows loaded per table."""
    tables = {table.name: table for table in reflect_tables(connection)}
    manifest_tables = reader.manifest.tables
    missing = sorted(set(manifest_tables) - set(tables))
    if missing:
        raise ArchiveError(f"the schema has no table {missing[0]!r} that the archive holds")
    loaded: dict[str, int] = {}
    for name, table in tables.items():
        if name not in manifest_tables:
            loaded[name] = 0
            continue
        columns = [table.c[column] for column in manifest_tables[name]["columns"]]
        statement = insert(table).values(
            {column.name: _bind(index, column, connection) for index, column in enumerate(columns)}
        )
        loaded[name] = 0
        for batch in _batches(reader.rows(name)):
            params = [_params(row, columns) for row in batch]
            connection.execute(statement, params)
            loaded[name] += len(params)
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection, tables.values())
    return loaded


def _params(row: list[Any], columns: list) -> dict[str, Any]:
    values = zip(row, columns, strict=True)
    return {f"p{index}": _decode(value, column) for index, (value, column) in enumerate(values)}


def _bind(index: int, column, connection: Connection):
    if not _is_json(column.type):
        return bindparam(f"p{index}", type_=column.type)
    # The document's text goes in as it came out: PostgreSQL parses it into jsonb, SQLite
    # keeps the text (its JSON is text).
    if connection.dialect.name == "postgresql":
        return cast(bindparam(f"p{index}", type_=Text), column.type)
    return type_coerce(bindparam(f"p{index}", type_=Text), Text)


def _advance_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    # Rows came in with their ids, so each id sequence must move past the highest one or
    # the next insert would collide with a restored row.
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), max_id)"
                    f' FROM (SELECT max("{column.name}") AS max_id FROM "{table.name}") AS m'
                    " WHERE max_id IS NOT NULL"
                ),
                {"table": f'"{table.name}"', "column": column.name},
            )


def _batches(rows: Iterator[list[Any]]) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_json(column_type) -> bool:
    return isinstance(column_type, JSON)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return {"datetime": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any, column) -> Any:
    if isinstance(value, dict) and "datetime" in value:
        moment = datetime.fromisoformat(value["datetime"])
        if isinstance(column.type, DateTime) and getattr(column.type, "timezone", False):
            # SQLite keeps naive UTC, PostgreSQL's timestamptz wants it aware.
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment
    if isinstance(value, dict) and "base64" in value and isinstance(column.type, LargeBinary):
        return base64.b64decode(value["base64"])
    return value
