"""Backups: the database, the files the portal keeps on disk, and nothing in flight.

`create_backup` writes one archive (see `portal.backup.archive`) from a consistent
snapshot of every table; `restore_backup` rebuilds an empty database from one: it
migrates the schema to the archive's revision, loads the rows, then migrates to this
portal's head, so an archive from any older version restores too.

What is in Valkey is not backed up. The queues only ever hold work whose truth is in the
database (a submission in flight is a row with status `queued`/`running`), so after a
restore the CLI re-enqueues those rows (`portal.labs.sweep`, as `requeue-stale` does)
instead of replaying a queue snapshot that may be stale or already graded. An ungraded
Run in flight is not repeated: its page reports it lost and the student runs it again.
"""

from __future__ import annotations

import tarfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

from portal.backup.archive import ArchiveError, ArchiveReader, ArchiveWriter, Manifest
from portal.backup.tables import count_rows, dump_tables, load_tables, reflect_tables
from portal.migrations import alembic_config, migrate, sqlite_foreign_keys_off

OUTBOX = "outbox"

__all__ = ["ArchiveError", "BackupRefused", "create_backup", "restore_backup"]


class BackupRefused(Exception):
    """The backup or restore cannot go ahead (it would lose data); one line says why."""


@dataclass
class RestoreReport:
    """What a restore did."""

    manifest: Manifest
    rows: dict[str, int]  # loaded per table
    files: int  # written back to disk
    head_revision: str  # the schema revision the database is at now


def create_backup(engine: Engine, output: Path, outbox_dir: Path) -> Manifest:
    """Write the database and the outbox to `output`; returns the archive's manifest."""
    writer = ArchiveWriter(output)
    try:
        with engine.connect() as connection:
            _begin_snapshot(connection)
            revision = MigrationContext.configure(connection).get_current_revision()
            if revision is None:
                raise BackupRefused("the database has no schema yet: nothing to back up")
            manifest = Manifest(
                alembic_revision=revision,
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                backend=connection.dialect.name,
                tables=dump_tables(connection, writer),
            )
            connection.rollback()
        for path in sorted(outbox_dir.glob("*.eml")) if outbox_dir.is_dir() else []:
            name = f"{OUTBOX}/{path.name}"
            writer.add_bytes(f"files/{name}", path.read_bytes())
            manifest.files.append(name)
        writer.add_bytes("manifest.json", manifest.as_json())
    except BaseException:
        writer.close()
        output.unlink(missing_ok=True)
        raise
    writer.close()
    return manifest


def restore_backup(
    engine: Engine, archive: Path, outbox_dir: Path, *, force: bool = False
) -> RestoreReport:
    """Rebuild the database behind `engine` from `archive`; refuses to overwrite data."""
    reader = ArchiveReader(archive)
    try:
        manifest = reader.manifest
        scripts = ScriptDirectory.from_config(alembic_config())
        head = scripts.get_current_head()
        if manifest.alembic_revision not in {rev.revision for rev in scripts.walk_revisions()}:
            raise BackupRefused(
                f"the archive's schema revision {manifest.alembic_revision} is newer than this"
                f" portal's ({head}): restore it with the portal version that made it"
            )
        # Foreign keys off on SQLite: the migrations' batch steps must not cascade deletes.
        with engine.connect() as connection, sqlite_foreign_keys_off(connection):
            rows = _replace_contents(connection, reader, force)
        files = _restore_files(reader, outbox_dir)
        return RestoreReport(manifest=manifest, rows=rows, files=files, head_revision=head)
    finally:
        reader.close()


def _replace_contents(connection: Connection, reader: ArchiveReader, force: bool) -> dict[str, int]:
    """Drop everything, rebuild the archive's schema, load its rows, migrate to head."""
    manifest = reader.manifest
    with connection.begin():
        if connection.dialect.name == "sqlite":
            # pysqlite commits DDL as it goes unless a transaction is open: open one, so a
            # failed restore rolls back to the database as it was, as on PostgreSQL.
            connection.exec_driver_sql("BEGIN")
        nonempty = {name: n for name, n in _row_counts(connection).items() if n}
        if nonempty and not force:
            name, rows = next(iter(sorted(nonempty.items())))
            raise BackupRefused(
                f"the database is not empty ({name}: {rows} rows, {len(nonempty)} tables"
                " with rows); pass --force to replace everything in it"
            )
        _drop_everything(connection)
        migrate(connection, manifest.alembic_revision)
        try:
            loaded = load_tables(connection, reader)
        except (ValueError, KeyError, TypeError, tarfile.TarError, EOFError, zlib.error) as error:
            damage = f"{type(error).__name__}: {error}"
            raise ArchiveError(f"the archive is damaged ({damage})") from error
        for name, expected in manifest.tables.items():
            if loaded.get(name) != expected["rows"]:
                raise ArchiveError(
                    f"{name}: the manifest says {expected['rows']} rows, the archive"
                    f" holds {loaded.get(name)}"
                )
        migrate(connection, "head")
    return loaded


def _begin_snapshot(connection: Connection) -> None:
    # Every table from one moment: PostgreSQL's repeatable read is one snapshot for the
    # transaction; pysqlite starts no transaction for reads, so open one by hand (in WAL
    # mode a reader's snapshot holds from its first read to its end).
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
        connection.exec_driver_sql("SELECT 1")
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def _row_counts(connection: Connection) -> dict[str, int]:
    return count_rows(connection, reflect_tables(connection))


def _drop_everything(connection: Connection) -> None:
    metadata = MetaData()
    metadata.reflect(connection)
    metadata.drop_all(connection)


def _restore_files(reader: ArchiveReader, outbox_dir: Path) -> int:
    written = 0
    for name in reader.manifest.files:
        folder, _, filename = name.partition("/")
        if folder != OUTBOX or not filename or "/" in filename or filename.startswith("."):
            raise ArchiveError(f"the archive names a file outside the outbox: {name}")
        target = outbox_dir / filename
        if target.exists():
            continue
        outbox_dir.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o600)
        target.write_bytes(reader.file(name))
        written += 1
    return written
