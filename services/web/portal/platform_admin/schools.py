"""Schools: the one validation both the operators' CLI and the platform admin's form use.

A school's slug is the first label of its host name, so it must be a DNS label and must
not take a name the platform keeps for itself; its optional domain is a host name that
no other school holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.catalogue.catalogue import get_catalogue
from portal.feed.guides import pin_guides_of_new_school
from portal.models import School, Submission, User

SLUG_SHAPE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# Host labels the platform may want for itself (its API, assets, mail, this admin).
RESERVED_SLUGS = frozenset({"www", "api", "static", "admin", "platform", "mail"})
HOST_LABEL_SHAPE = SLUG_SHAPE
NAME_MAX_LENGTH = 200
DOMAIN_MAX_LENGTH = 253


class InvalidSchool(Exception):
    """The fields of a school are refused; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class SchoolStateRefused(Exception):
    """A change of a school's state that would lock the caller out (their own school)."""


@dataclass(frozen=True)
class SchoolFields:
    """A school's fields, normalised and checked."""

    slug: str
    name: str
    domain: str | None


@dataclass(frozen=True)
class SchoolRow:
    """One line of the schools table."""

    school: School
    users: int
    submissions: int


def check_school_fields(
    session: Session,
    *,
    slug: str,
    name: str,
    domain: str | None,
    school: School | None = None,
) -> SchoolFields:
    """Normalise and check a school's fields (`school` is the one being edited, if any).

    Raises InvalidSchool naming every refused field, so a form can show all of them.
    """
    errors: dict[str, str] = {}
    slug = (slug or "").strip()
    name = " ".join((name or "").split())
    domain = (domain or "").strip().lower().rstrip(".") or None

    if school is None:
        if not SLUG_SHAPE.fullmatch(slug):
            errors["slug"] = (
                "A slug is 1 to 63 lower-case letters, digits and hyphens, "
                "not starting or ending with a hyphen."
            )
        elif slug in RESERVED_SLUGS:
            errors["slug"] = f"'{slug}' is reserved for the platform; choose another slug."
        elif session.scalar(select(School.id).where(School.slug == slug)) is not None:
            errors["slug"] = f"A school with the slug '{slug}' already exists."
    else:
        slug = school.slug  # a slug is its URL: it never changes
    if not name:
        errors["name"] = "A school needs a name."
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"A name has at most {NAME_MAX_LENGTH} characters."
    if domain is not None:
        if not is_host_name(domain):
            errors["domain"] = (
                "A domain is a host name such as courses.school.edu (no scheme, port or path)."
            )
        elif _under_platform_host(domain):
            host = _platform_host()
            errors["domain"] = (
                f"Addresses under {host} are the platform's own (slug.{host}); "
                "a school's own domain must be outside it."
            )
        else:
            holder = session.scalar(select(School).where(School.domain == domain))
            if holder is not None and (school is None or holder.id != school.id):
                errors["domain"] = f"The domain {domain} already belongs to another school."
    if errors:
        raise InvalidSchool(errors)
    return SchoolFields(slug=slug, name=name, domain=domain)


def is_host_name(value: str) -> bool:
    """Whether `value` is a fully qualified host name (two labels at least)."""
    labels = value.split(".")
    return (
        len(value) <= DOMAIN_MAX_LENGTH
        and len(labels) >= 2
        and all(HOST_LABEL_SHAPE.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()  # not an IP address
    )


def _platform_host() -> str:
    return (urlsplit(current_app.config["BASE_URL"]).hostname or "").lower()


def _under_platform_host(domain: str) -> bool:
    # A domain is matched before a slug (portal.tenancy), so a domain such as
    # school-b.<platform host> given to school A would take school B's address.
    host = _platform_host()
    return bool(host) and (domain == host or domain.endswith("." + host))


def create_school(
    session: Session,
    *,
    slug: str,
    name: str,
    domain: str | None,
    audit_school: School | None = None,
    actor: User | None = None,
) -> School:
    """Create and commit a school; audited at `audit_school` (the new school for the CLI)."""
    fields = check_school_fields(session, slug=slug, name=name, domain=domain)
    school = School(slug=fields.slug, name=fields.name, domain=fields.domain)
    session.add(school)
    try:
        session.flush()
    except IntegrityError as error:  # another operator created it meanwhile
        session.rollback()
        raise InvalidSchool({"slug": "This slug or domain was just taken."}) from error
    record_action(
        session,
        audit_school or school,
        actor,
        "school.created",
        f"school:{school.id}",
        slug=school.slug,
        domain=school.domain,
    )
    session.commit()
    pin_guides_of_new_school(school, get_catalogue())
    return school


def update_school(
    session: Session, school: School, *, name: str, domain: str | None, actor: User
) -> School:
    """Change a school's name and domain (audited at the actor's school) and commit."""
    fields = check_school_fields(session, slug=school.slug, name=name, domain=domain, school=school)
    before = {"name": school.name, "domain": school.domain}
    school.name, school.domain = fields.name, fields.domain
    after = {"name": school.name, "domain": school.domain}
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if changed:
        record_action(
            session,
            _school_of(session, actor),
            actor,
            "school.updated",
            f"school:{school.id}",
            **changed,
        )
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise InvalidSchool({"domain": "This domain was just taken."}) from error
    return school


def set_school_active(session: Session, school: School, active: bool, actor: User) -> School:
    """Close or reopen a school; a closed school's host answers 404. Never your own."""
    if not active and school.id == actor.tenant_id:
        raise SchoolStateRefused(
            "You cannot deactivate the school you are signed in at: it would lock you out."
        )
    if school.is_active != active:
        school.is_active = active
        action = "school.reactivated" if active else "school.deactivated"
        record_action(session, _school_of(session, actor), actor, action, f"school:{school.id}")
        session.commit()
    return school


def find_school(session: Session, school_id: int) -> School | None:
    """A school by id (schools are not tenant-owned: any session may read them)."""
    return session.get(School, school_id)


def find_school_by_slug(session: Session, slug: str) -> School | None:
    """A school by its slug."""
    return session.scalar(select(School).where(School.slug == slug.strip().lower()))


def schools_with_counts(cross_school: Session) -> list[SchoolRow]:
    """Every school with its number of users and submissions (needs an unscoped session)."""
    users = dict(
        cross_school.execute(select(User.tenant_id, func.count()).group_by(User.tenant_id)).all()
    )
    submissions = dict(
        cross_school.execute(
            select(Submission.tenant_id, func.count()).group_by(Submission.tenant_id)
        ).all()
    )
    schools = cross_school.scalars(select(School).order_by(School.slug)).all()
    return [SchoolRow(s, users.get(s.id, 0), submissions.get(s.id, 0)) for s in schools]


def _school_of(session: Session, user: User) -> School:
    return session.get(School, user.tenant_id)
