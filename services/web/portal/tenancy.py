"""Which school a request belongs to.

The tenant is the school whose own domain is the request's host (`courses.school.edu`),
else the school whose slug is the host's first label (`school-a.example.org`,
`school-a.localhost`), otherwise the default school, so a single-school install needs no
DNS. Resolving the school scopes the request's session to
it (`portal.scoping`), and every request but a static file resolves it first, so no query
of a request can see another school's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, has_request_context, request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.db import get_db
from portal.models import DEFAULT_SCHOOL_SLUG, School
from portal.scoping import scope_session


def init_app(app: Flask) -> None:
    """Resolve the school, and so scope the session, before any other request hook."""
    app.before_request(scope_request_to_school)


def scope_request_to_school() -> None:
    """Scope the request's session to its school (static files and probes need no database)."""
    if request_needs_school():
        current_school()


def without_school(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that answers without a school, a login or the database (health probes)."""
    view.without_school = True  # type: ignore[attr-defined]
    return view


def request_needs_school() -> bool:
    """Whether this request resolves its school: all but static files and `without_school` views."""
    if request.endpoint == "static":
        return False
    view = current_app.view_functions.get(request.endpoint)
    return not getattr(view, "without_school", False)


def school_for_host(session: Session, host: str) -> School | None:
    """The school a host name points at (its domain, then its slug), or the default school."""
    hostname = host.split(":", 1)[0].lower().rstrip(".")
    label = hostname.split(".", 1)[0]
    slugs = [label, DEFAULT_SCHOOL_SLUG] if label else [DEFAULT_SCHOOL_SLUG]
    candidates = session.scalars(
        select(School).where(or_(School.domain == hostname, School.slug.in_(slugs)))
    ).all()
    by_domain = next((s for s in candidates if s.domain and s.domain == hostname), None)
    by_slug = {s.slug: s for s in candidates}
    return by_domain or by_slug.get(label) or by_slug.get(DEFAULT_SCHOOL_SLUG)


def school_base_url(school: School) -> str:
    """Where the school's pages are, for links that leave the request (CLI, emails).

    In a request on the school's own host that host is the answer; otherwise the school's
    domain, or its slug in front of the platform's BASE_URL host (the default school
    lives at BASE_URL itself).
    """
    if has_request_context() and g.get("school") is not None and g.school.id == school.id:
        return request.host_url.rstrip("/")
    base = urlsplit(current_app.config["BASE_URL"])
    if school.domain:
        return f"{base.scheme}://{school.domain}"
    if school.slug == DEFAULT_SCHOOL_SLUG:
        return f"{base.scheme}://{base.netloc}"
    return f"{base.scheme}://{school.slug}.{base.netloc}"


def current_school() -> School:
    """The request's school; 404 when not even the default school exists (not seeded)."""
    if "school" not in g:
        school = school_for_host(get_db(), request.host)
        if school is None:
            abort(404, "No school is set up here yet: run `flask --app portal seed-demo`.")
        if not school.is_active:
            abort(404, "This school is closed.")
        scope_session(get_db(), school.id)
        g.school = school
    return g.school
