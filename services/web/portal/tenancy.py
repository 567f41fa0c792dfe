"""Which school a request belongs to.

The tenant is the first label of the request's host when a school has that slug
(`school-a.example.org`, `school-a.localhost`), otherwise the default school, so a
single-school install needs no DNS. Resolving the school scopes the request's session to
it (`portal.scoping`), and every request but a static file resolves it first, so no query
of a request can see another school's rows.
"""

from __future__ import annotations

from flask import Flask, abort, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import get_db
from portal.models import DEFAULT_SCHOOL_SLUG, School
from portal.scoping import scope_session


def init_app(app: Flask) -> None:
    """Resolve the school, and so scope the session, before any other request hook."""
    app.before_request(scope_request_to_school)


def scope_request_to_school() -> None:
    """Scope the request's session to its school (static files need no database)."""
    if request.endpoint != "static":
        current_school()


def school_for_host(session: Session, host: str) -> School | None:
    """The school a host name points at, or the default school."""
    label = host.split(":", 1)[0].split(".", 1)[0].lower()
    slugs = [label, DEFAULT_SCHOOL_SLUG] if label else [DEFAULT_SCHOOL_SLUG]
    schools = {s.slug: s for s in session.scalars(select(School).where(School.slug.in_(slugs)))}
    return schools.get(label) or schools.get(DEFAULT_SCHOOL_SLUG)


def current_school() -> School:
    """The request's school; 404 when not even the default school exists (not seeded)."""
    if "school" not in g:
        school = school_for_host(get_db(), request.host)
        if school is None:
            abort(404, "No school is set up here yet: run `flask --app portal seed-demo`.")
        scope_session(get_db(), school.id)
        g.school = school
    return g.school
