"""Which school a request belongs to.

The tenant is the first label of the request's host when a school has that slug
(`school-a.example.org`, `school-a.localhost`), otherwise the default school, so a
single-school install needs no DNS. Queries are filtered by hand for now; the automatic
scoping of a later issue will read `current_school()` from here.
"""

from __future__ import annotations

from flask import abort, g, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import get_db
from portal.models import DEFAULT_SCHOOL_SLUG, School


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
        g.school = school
    return g.school
