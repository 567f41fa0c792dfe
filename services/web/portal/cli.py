"""Commands for operators: `flask --app portal <command>`.

db upgrade       migrate the database to the latest schema
seed-demo        the default school and demo accounts (safe to run again; not in production)
deactivate-demo  turn the demo accounts off (production refuses to serve while one is active)
results-worker   record grading results (an RQ worker on the results queue)
requeue-stale    re-enqueue or close submissions stuck in flight
premium          grants, school-wide licences and codes
school create    a school (tenant): SLUG --name NAME [--domain HOST]  (portal.operators_cli)
school list      every school with its domain, users and state
user create      an account at a school, with a set-password link   (portal.operators_cli)
feed pin-guides  pin the course guides on schools' feeds [--school SLUG]  (portal.feed)
backup create    one archive of the database and the mail outbox [--output FILE]  (portal.backup)
backup restore   rebuild an empty database from an archive [--force], re-enqueue in-flight work
mail test        send a test message through the configured SMTP server  (portal.mail_check)
"""

from __future__ import annotations

from datetime import timedelta

import click
import redis
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

import contract
from contract.logs import configure_logging
from portal import mail_check, operators_cli
from portal.auth.service import find_user_by_email, register_user
from portal.backup.commands import backup_commands
from portal.catalogue.catalogue import get_catalogue
from portal.config import ConfigError
from portal.database_state import (
    require_reachable_database,
    require_usable_database,
    usable_database_required,
)
from portal.db import get_engine, get_unscoped_db
from portal.demo import DEMO_ACCOUNTS, DEMO_GROUP_MEMBER, DEMO_GROUP_NAME, active_demo_accounts
from portal.feed.commands import feed_commands
from portal.feed.guides import pin_course_guides
from portal.graders import grading_queue_names
from portal.labs.sweep import requeue_stale_submissions
from portal.migrations import upgrade_database
from portal.models import DEFAULT_SCHOOL_SLUG, GroupMember, School, StudentGroup
from portal.premium.commands import premium_commands
from portal.production import check_before_serving, is_production
from portal.queue import get_queue
from workerkit.resilient import wait_for_valkey, work_through_outages

db_commands = AppGroup("db", help="Database schema.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(db_commands)
    app.cli.add_command(seed_demo)
    app.cli.add_command(deactivate_demo)
    app.cli.add_command(results_worker)
    app.cli.add_command(requeue_stale)
    app.cli.add_command(premium_commands)
    app.cli.add_command(operators_cli.school_commands)
    app.cli.add_command(operators_cli.user_commands)
    app.cli.add_command(feed_commands)
    app.cli.add_command(backup_commands)
    app.cli.add_command(mail_check.mail_commands)


@db_commands.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Migrate the database to the latest revision."""
    require_reachable_database(get_engine())
    upgrade_database(get_engine())
    click.echo("Database is up to date.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the default school and the demo logins, unless they exist."""
    if is_production(current_app):
        raise click.ClickException(
            "seed-demo creates logins whose passwords are public; not with PORTAL_ENV=production"
        )
    require_usable_database(get_engine())
    session = get_unscoped_db()
    school = session.scalars(select(School).where(School.slug == DEFAULT_SCHOOL_SLUG)).first()
    if school is None:
        school = School(slug=DEFAULT_SCHOOL_SLUG, name="Demo School")
        session.add(school)
        session.commit()
    pin_course_guides(session, school, get_catalogue())
    session.commit()
    for email, name, password, role in DEMO_ACCOUNTS:
        if find_user_by_email(session, school, email) is None:
            register_user(
                session, school, email=email, display_name=name, password=password, role=role
            )
        click.echo(f"{role.value:>13}: {email} / {password}")
    _seed_demo_group(session, school)


def _seed_demo_group(session, school: School) -> None:
    """A class with the demo student in it, so the groups pages and the gradebook's group
    filter have something to show (made once: a renamed or deleted group stays so)."""
    if session.scalars(select(StudentGroup).where(StudentGroup.tenant_id == school.id)).first():
        return
    student = find_user_by_email(session, school, DEMO_GROUP_MEMBER)
    group = StudentGroup(tenant_id=school.id, name=DEMO_GROUP_NAME)
    session.add(group)
    session.flush()
    if student is not None:
        session.add(GroupMember(tenant_id=school.id, group_id=group.id, user_id=student.id))
    session.commit()


@click.command("deactivate-demo")
@with_appcontext
@usable_database_required
def deactivate_demo() -> None:
    """Deactivate every demo login, at any school (they can no longer log in)."""
    session = get_unscoped_db()
    accounts = active_demo_accounts(session)
    for account in accounts:
        account.is_active = False
    session.commit()
    click.echo(f"Deactivated {len(accounts)} demo login(s).")


@click.command("results-worker")
@click.option("--burst", is_flag=True, help="Record what is queued now, then exit.")
@with_appcontext
def results_worker(burst: bool) -> None:
    """Record grading results from the results queue."""
    try:
        check_before_serving(current_app, web=False)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    configure_logging(current_app.config["LOG_FORMAT"], service="web-worker")
    # SimpleWorker runs jobs in this process: no fork, so no database connection is ever
    # shared between a parent and a child.
    connection = redis.Redis.from_url(current_app.config["REDIS_URL"])
    try:
        wait_for_valkey(connection)
        queue = Queue(contract.RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
        # Job ids only: a result job's default description is its whole payload.
        worker = SimpleWorker(
            [queue], connection=connection, serializer=JSONSerializer, log_job_description=False
        )
        # A Valkey restart ends RQ's loop; it works again, with backoff, until stopped. Its
        # scheduler puts a record job that failed (the database away) back on the queue
        # when its retry is due (grader.publish.RECORD_RETRY_INTERVALS).
        work_through_outages(worker, burst=burst, with_scheduler=True)
    finally:
        connection.close()


@click.command("requeue-stale")
@click.option("--older-than", default=60, show_default=True, help="Seconds in flight.")
@with_appcontext
@usable_database_required
def requeue_stale(older_than: int) -> None:
    """Re-enqueue lost submissions; close those whose grading gave up."""
    catalogue = get_catalogue()
    for queue_name in grading_queue_names():
        report = requeue_stale_submissions(
            get_unscoped_db(),
            get_queue(queue_name),
            catalogue,
            older_than=timedelta(seconds=older_than),
            max_per_school=current_app.config["GRADING_MAX_PER_SCHOOL"],
        )
        click.echo(
            f"{queue_name}: requeued {len(report.requeued)}, closed {len(report.closed)}, "
            f"still waiting {len(report.waiting)}"
        )
