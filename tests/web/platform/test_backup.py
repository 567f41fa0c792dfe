"""`flask --app portal backup create|restore`: nothing is lost, nothing is overwritten.

Each test gets a database of its own (a new PostgreSQL database, or a SQLite file), fills
every table, and drives the real commands. The round trip compares every row and column.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import inspect, text

import contract
from portal import create_app
from portal.db import make_engine
from portal.migrations import upgrade_database
from tests.web.platform.rows_support import column_names, populate_every_table, read_every_table

REPO_ROOT = Path(__file__).resolve().parents[3]
# Submissions the catalogue can grade, so the restore's requeue has real work to queue.
GRADABLE = {"submissions": {"course_id": "node-workers", "lab_id": "thread-lab"}}
OLDEST_REVISION = "0001"
IN_FLIGHT_SUBMISSION_IDS = (1, 2)  # rows 1 and 2 are `queued` and `running` (rows_support)


@pytest.fixture
def backup_app(empty_database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The portal on its own database, migrated to head and empty."""
    engine = make_engine(empty_database_url)
    upgrade_database(engine)
    engine.dispose()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": empty_database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret-key",
            "CONTENT_DIR": str(REPO_ROOT / "content"),
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
    )
    yield app
    app.extensions["db_engine"].dispose()
    app.extensions["redis_pool"].disconnect()


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def populate(app: Flask) -> dict[str, list[tuple]]:
    with app.extensions["db_engine"].begin() as connection:
        populate_every_table(connection, fixed=GRADABLE)
    return contents(app)


def contents(app: Flask) -> dict[str, list[tuple]]:
    with app.extensions["db_engine"].connect() as connection:
        return read_every_table(connection)


def wipe(app: Flask) -> None:
    """Lose the database entirely: no table is left, not even Alembic's."""
    engine = app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        engine.dispose()
        database = Path(engine.url.database)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
    assert inspect(engine).get_table_names() == []


def test_a_wiped_database_comes_back_row_for_row(backup_app, tmp_path, redis_connection):
    before = populate(backup_app)
    assert all(before.values()), f"tables left empty: {[t for t, r in before.items() if not r]}"
    outbox = Path(backup_app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir()
    (outbox / "reset.eml").write_bytes(b"Subject: reset\n\nhttps://example.org/reset?t=1\n")
    archive = tmp_path / "backup.tar.gz"

    created = run(backup_app, "backup", "create", "--output", str(archive))
    assert created.exit_code == 0, created.output
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds password hashes: owner-only"
    wipe(backup_app)
    (outbox / "reset.eml").unlink()
    restored = run(backup_app, "backup", "restore", str(archive))

    assert restored.exit_code == 0, restored.output
    assert contents(backup_app) == before
    assert (outbox / "reset.eml").read_bytes().startswith(b"Subject: reset")
    grading = Queue(contract.GRADING_QUEUE, connection=redis_connection, serializer=JSONSerializer)
    queued = {job_id for job_id in grading.job_ids}
    assert queued == {contract.grade_job_id(str(i)) for i in IN_FLIGHT_SUBMISSION_IDS}
    assert "grading: requeued 2" in restored.output


def test_the_manifest_says_what_the_archive_holds(backup_app, tmp_path):
    before = populate(backup_app)
    archive = tmp_path / "backup.tar.gz"
    assert run(backup_app, "backup", "create", "--output", str(archive)).exit_code == 0

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format_version"] == 1
    assert manifest["alembic_revision"] == head_revision(backup_app)
    assert manifest["created_at"]
    assert {name: t["rows"] for name, t in manifest["tables"].items()} == {
        name: len(rows) for name, rows in before.items()
    }


def test_restore_refuses_to_overwrite_data_unless_forced(backup_app, tmp_path):
    before = populate(backup_app)
    archive = tmp_path / "backup.tar.gz"
    assert run(backup_app, "backup", "create", "--output", str(archive)).exit_code == 0

    refused = run(backup_app, "backup", "restore", str(archive))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    forced = run(backup_app, "backup", "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert contents(backup_app) == before


def test_restore_refuses_an_archive_from_a_newer_schema(backup_app, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert run(backup_app, "backup", "create", "--output", str(archive)).exit_code == 0
    newer = tmp_path / "newer.tar.gz"
    rewrite_manifest(archive, newer, alembic_revision="9999_from_the_future")

    refused = run(backup_app, "backup", "restore", "--force", str(newer))

    assert refused.exit_code == 1
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "9999_from_the_future is newer" in lines[0], refused.output
    assert head_revision(backup_app) in lines[0]


def test_an_archive_from_the_oldest_schema_is_migrated_after_loading(backup_app, tmp_path):
    engine = backup_app.extensions["db_engine"]
    wipe(backup_app)
    upgrade_database(engine, OLDEST_REVISION)
    before = populate(backup_app)
    with engine.connect() as connection:
        old_columns = column_names(connection)
    archive = tmp_path / "old.tar.gz"
    assert run(backup_app, "backup", "create", "--output", str(archive)).exit_code == 0
    wipe(backup_app)
    upgrade_database(engine)  # an empty database at head

    restored = run(backup_app, "backup", "restore", str(archive))

    assert restored.exit_code == 0, restored.output
    assert head_revision(backup_app) != OLDEST_REVISION
    with engine.connect() as connection:
        new_columns = column_names(connection)
    after = contents(backup_app)
    for table, rows in before.items():
        kept = [new_columns[table].index(column) for column in old_columns[table]]
        assert [tuple(row[i] for i in kept) for row in after[table]] == rows, table


def test_restore_refuses_a_damaged_archive_and_keeps_the_database(backup_app, tmp_path):
    before = populate(backup_app)
    archive = tmp_path / "backup.tar.gz"
    assert run(backup_app, "backup", "create", "--output", str(archive)).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    refused = run(backup_app, "backup", "restore", "--force", str(damaged))

    assert refused.exit_code == 1
    assert refused.output.startswith("Error: restore refused:"), refused.output
    assert len(refused.output.strip().splitlines()) == 1, refused.output
    assert contents(backup_app) == before


def test_a_restore_that_fails_half_way_changes_nothing(backup_app, tmp_path):
    before = populate(backup_app)
    archive = tmp_path / "backup.tar.gz"
    assert run(backup_app, "backup", "create", "--output", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        tables = json.load(tar.extractfile("manifest.json"))["tables"]
    last = list(tables)[-1]
    miscounted = tmp_path / "miscounted.tar.gz"
    rewrite_manifest(archive, miscounted, tables={**tables, last: {**tables[last], "rows": 99}})

    refused = run(backup_app, "backup", "restore", "--force", str(miscounted))

    assert refused.exit_code == 1
    assert f"{last}: the manifest says 99 rows" in refused.output, refused.output
    assert contents(backup_app) == before


def head_revision(app: Flask) -> str:
    with app.extensions["db_engine"].connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def rewrite_manifest(source: Path, target: Path, **changes) -> None:
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))
