"""`flask --app portal feed pin-guides`: the course guides for schools made before them."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.catalogue.catalogue import get_catalogue
from portal.database_state import usable_database_required
from portal.db import get_unscoped_db
from portal.feed.guides import pin_course_guides
from portal.models import School

feed_commands = AppGroup("feed", help="The Holo-Net feed.")


@feed_commands.command("pin-guides")
@click.option("--school", "school_slug", default=None, help="Only this school (its slug).")
@usable_database_required
def pin_guides(school_slug: str | None) -> None:
    """Pin each course guide on every school's feed (or one school's) that lacks it."""
    session = get_unscoped_db()
    statement = select(School).order_by(School.slug)
    if school_slug is not None:
        statement = statement.where(School.slug == school_slug.strip().lower())
    schools = session.scalars(statement).all()
    if school_slug is not None and not schools:
        raise click.BadParameter(f"no school has the slug '{school_slug}'.", param_hint="--school")
    for school in schools:
        added = pin_course_guides(session, school, get_catalogue())
        session.commit()
        titles = ", ".join(post.title for post in added) or "nothing new"
        click.echo(f"{school.slug}: {titles}")
