"""`flask --app portal premium ...`: grants and codes from the command line.

For operators setting a school up before it has an admin. The commands work across
schools (`get_unscoped_db()`), so each names its school, and every bad input stops
with a message and a non-zero exit before anything is written.
"""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from portal.catalogue.catalogue import get_catalogue
from portal.database_state import usable_database_required
from portal.db import get_unscoped_db
from portal.models import School
from portal.premium import codes, entitlements
from portal.premium.dates import PastDate, until_from_date

premium_commands = AppGroup("premium", help="Premium grants, licences and codes.")


def _school(slug: str) -> School:
    school = get_unscoped_db().scalars(select(School).where(School.slug == slug)).first()
    if school is None:
        raise click.BadParameter(f"no school with the slug {slug!r}", param_hint="--school")
    return school


def _until(day: datetime | None) -> datetime | None:
    try:
        return until_from_date(day.date() if day else None)
    except PastDate as error:
        raise click.BadParameter(str(error), param_hint="--until") from error


def _course(course_id: str | None) -> str | None:
    if course_id is not None and get_catalogue().course(course_id) is None:
        known = ", ".join(sorted(get_catalogue().courses))
        raise click.BadParameter(f"no course {course_id!r} (known: {known})", param_hint="--course")
    return course_id


UNTIL = click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of access, YYYY-MM-DD (default: for good).",
)


@premium_commands.command("grant")
@click.option("--school", "slug", required=True, help="The school's slug.")
@click.option("--email", help="The account to give premium to.")
@click.option("--all", "everyone", is_flag=True, help="Everyone at the school (a licence).")
@UNTIL
@click.option("--course", "course_id", help="Only this course (default: every course).")
@click.option("--reason", default="granted from the command line", show_default=True)
@with_appcontext
@usable_database_required
def grant(
    slug: str,
    email: str | None,
    everyone: bool,
    until: datetime | None,
    course_id: str | None,
    reason: str,
) -> None:
    """Give premium to one account (--email) or the whole school (--all)."""
    if bool(email) == everyone:
        raise click.UsageError("give exactly one of --email EMAIL or --all")
    school = _school(slug)
    ends = _until(until)
    course_id = _course(course_id)
    session = get_unscoped_db()
    if everyone:
        licence = entitlements.turn_licence_on(session, school, None, ends, reason, course_id)
        click.echo(f"School-wide licence #{licence.id} at {school.slug}, {_ending(ends)}.")
        return
    try:
        given = entitlements.grant_to_user(session, school, None, email, ends, reason, course_id)
    except entitlements.UnknownAccount as error:
        raise click.BadParameter(str(error), param_hint="--email") from error
    click.echo(f"Premium #{given.id} for {email.strip().lower()}, {_ending(ends)}.")


@premium_commands.command("codes")
@click.option("--school", "slug", required=True, help="The school's slug.")
@click.option("--count", type=int, required=True, help="How many codes (1 to 1000).")
@click.option("--uses", type=int, default=1, show_default=True, help="Redemptions per code.")
@UNTIL
@click.option("--course", "course_id", help="Only this course (default: every course).")
@click.option("--note", default="", help="What the codes are for.")
@with_appcontext
@usable_database_required
def make_codes(
    slug: str,
    count: int,
    uses: int,
    until: datetime | None,
    course_id: str | None,
    note: str,
) -> None:
    """Create premium codes and print them, one a line."""
    if not 1 <= count <= codes.MAX_CODES_PER_BATCH:
        raise click.BadParameter(
            f"must be between 1 and {codes.MAX_CODES_PER_BATCH}", param_hint="--count"
        )
    if uses < 1:
        raise click.BadParameter("must be at least 1", param_hint="--uses")
    school = _school(slug)
    ends = _until(until)
    course_id = _course(course_id)
    created = codes.create_codes(
        get_unscoped_db(),
        school,
        None,
        count=count,
        max_uses=uses,
        until=ends,
        course_id=course_id,
        note=note,
    )
    for code in created:
        click.echo(code.code)


def _ending(ends: datetime | None) -> str:
    return f"until {ends.date().isoformat()}" if ends else "for good"
