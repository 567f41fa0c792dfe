"""`flask --app portal backup create|restore`: the operator's side of `portal.backup`.

Exit status 1 with one line on stderr for every refusal (a newer archive, a non-empty
database without --force, a damaged file, a database that cannot be reached); the database
and queue URLs are never printed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from redis.exceptions import RedisError

from portal.backup import ArchiveError, BackupRefused, create_backup, restore_backup
from portal.catalogue.catalogue import Catalogue, get_catalogue
from portal.database_state import require_reachable_database
from portal.db import get_engine, get_unscoped_db
from portal.graders import grading_queue_names
from portal.labs.sweep import requeue_stale_submissions
from portal.queue import get_queue

RESTORED_WORK_KEPT_FOR = timedelta(days=3650)

backup_commands = AppGroup("backup", help="Back up and restore the database and files.")


@backup_commands.command("create")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write [default: portal-backup-<UTC time>.tar.gz here].",
)
@with_appcontext
def create(output: Path | None) -> None:
    """Write one archive: every table, the mail outbox, and a manifest."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    output = output or Path(f"portal-backup-{stamp}.tar.gz")
    require_reachable_database(get_engine())
    started = time.monotonic()
    try:
        manifest = create_backup(get_engine(), output, _outbox())
    except (BackupRefused, OSError) as error:
        raise click.ClickException(str(error)) from error
    rows = sum(table["rows"] for table in manifest.tables.values())
    click.echo(
        f"Backed up {rows} rows in {len(manifest.tables)} tables and {len(manifest.files)}"
        f" files at schema revision {manifest.alembic_revision} to {output}"
        f" ({output.stat().st_size} bytes, {time.monotonic() - started:.1f} s)"
    )


@backup_commands.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
@with_appcontext
def restore(archive: Path, force: bool) -> None:
    """Rebuild the database from ARCHIVE, then re-enqueue the work that was in flight."""
    require_reachable_database(get_engine())
    started = time.monotonic()
    try:
        report = restore_backup(get_engine(), archive, _outbox(), force=force)
    except (ArchiveError, BackupRefused) as error:
        raise click.ClickException(f"restore refused: {error}") from error
    click.echo(
        f"Restored {sum(report.rows.values())} rows in {len(report.rows)} tables and"
        f" {report.files} files from {report.manifest.created_at} (revision"
        f" {report.manifest.alembic_revision}, now {report.head_revision})"
        f" in {time.monotonic() - started:.1f} s"
    )
    _requeue_in_flight()


def _outbox() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_DIR"])


def _requeue_in_flight() -> None:
    # The archive holds no queue: what was in flight is queued again from its rows. With
    # Valkey down they stay queued and `requeue-stale` (run by `make run` every minute,
    # or by cron) enqueues them later.
    catalogue = get_catalogue()
    try:
        _requeue_each_queue(catalogue)
    except RedisError as error:
        click.echo(
            f"Valkey is unreachable ({type(error).__name__}): the work in flight stays queued"
            " in the database; run `flask --app portal requeue-stale` once Valkey is up"
        )


def _requeue_each_queue(catalogue: Catalogue) -> None:
    for queue_name in grading_queue_names():
        report = requeue_stale_submissions(
            get_unscoped_db(),
            get_queue(queue_name),
            catalogue,
            older_than=timedelta(0),
            # However old the archive, its work is graded now, not closed as abandoned.
            give_up_after=RESTORED_WORK_KEPT_FOR,
        )
        click.echo(
            f"{queue_name}: requeued {len(report.requeued)}, closed {len(report.closed)},"
            f" still waiting {len(report.waiting)}"
        )
