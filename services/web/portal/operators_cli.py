"""The operators' commands for schools and accounts: `flask --app portal school|user ...`.

They work across schools, so they use the unscoped session, and they validate exactly as
the platform admin's pages do (`portal.platform_admin.schools.check_school_fields`).
Bad input exits non-zero with a message that names the option at fault; a database that
is unreachable or was never migrated, with one line that says so
(`portal.database_state.usable_database_required`).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.database_state import usable_database_required
from portal.db import get_unscoped_db
from portal.models import Role, School
from portal.platform_admin.accounts import InvalidAccount, create_account_with_reset_token
from portal.platform_admin.schools import (
    InvalidSchool,
    create_school,
    find_school_by_slug,
    schools_with_counts,
)
from portal.tenancy import school_base_url

school_commands = AppGroup("school", help="Schools (tenants).")
user_commands = AppGroup("user", help="Accounts at a school.")


ROLE_NAMES = [role.value for role in Role]
OPTION_OF_FIELD = {"slug": "SLUG", "name": "--name", "domain": "--domain"}


@school_commands.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The school's name, shown on its pages.")
@click.option("--domain", default=None, help="A host name of its own (courses.school.edu).")
@usable_database_required
def school_create(slug: str, name: str, domain: str | None) -> None:
    """Create a school reachable at SLUG.<platform host> (and at DOMAIN if given)."""
    session = get_unscoped_db()
    try:
        school = create_school(session, slug=slug, name=name, domain=domain)
    except InvalidSchool as error:
        field, message = next(iter(error.errors.items()))
        raise click.BadParameter(message, param_hint=OPTION_OF_FIELD.get(field, field)) from None
    click.echo(f"Created school {school.slug} ({school.name}): {school_base_url(school)}")


@school_commands.command("list")
@usable_database_required
def school_list() -> None:
    """List every school: slug, name, domain, users, active."""
    rows = schools_with_counts(get_unscoped_db())
    click.echo(f"{'SLUG':<24} {'NAME':<32} {'DOMAIN':<32} {'USERS':>6} ACTIVE")
    for row in rows:
        school = row.school
        click.echo(
            f"{school.slug:<24} {school.name:<32} {school.domain or '-':<32} "
            f"{row.users:>6} {'yes' if school.is_active else 'no'}"
        )


@user_commands.command("create")
@click.option("--school", "school_slug", required=True, help="The school's slug.")
@click.option("--email", required=True, help="The person's email address.")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES), help="What they may do.")
@click.option("--name", default=None, help="Display name (default: the email's local part).")
@usable_database_required
def user_create(school_slug: str, email: str, role: str, name: str | None) -> None:
    """Create an account and print a one-time link to set its password."""
    session = get_unscoped_db()
    school = find_school_by_slug(session, school_slug)
    if school is None:
        known = (
            ", ".join(session.scalars(select(School.slug).order_by(School.slug)).all())
            or "none yet"
        )
        raise click.BadParameter(
            f"no school has the slug '{school_slug}' (schools: {known}).", param_hint="--school"
        )
    try:
        created = create_account_with_reset_token(
            session, school, email=email, role=role, display_name=name
        )
    except InvalidAccount as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
    link = f"{school_base_url(school)}/auth/reset?token={created.reset_token}"
    click.echo(f"Created {created.user.role} {created.user.email} at {school.slug}.")
    if not school.is_active:
        click.echo(f"Note: {school.slug} is deactivated; the link works once it is reactivated.")
    click.echo(f"Set-password link (single use, expires in 24 hours): {link}")
