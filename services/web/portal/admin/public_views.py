"""The school's look for every visitor: its logo and its colour as a stylesheet.

The colour travels as a stylesheet, not an inline style, because the Content-Security-
Policy allows styles from this site's files only. Both URLs carry a version, so browsers
may keep them for a long time and still see a change at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request, url_for

from portal.admin.branding import logo_version, theme_colour
from portal.db import get_db
from portal.tenancy import current_school

bp = Blueprint("branding", __name__, url_prefix="/school")

LONG_CACHE = "public, max-age=31536000, immutable"


@bp.app_context_processor
def school_brand() -> dict:
    """`school_brand()`: the name, logo URL and stylesheet URL for the header."""

    def brand() -> dict | None:
        school = g.get("school")
        if school is None:  # an error page before the school was known
            return None
        if "school_logo_version" not in g:
            g.school_logo_version = logo_version(get_db(), school)
        version = g.school_logo_version
        return {
            "name": school.name,
            "logo_url": url_for("branding.logo", v=version) if version is not None else None,
            "theme_url": url_for("branding.theme", v=theme_colour(school).lstrip("#")),
        }

    return {"school_brand": brand}


@bp.get("/logo")
def logo():
    school = current_school()
    version = logo_version(get_db(), school)
    if version is None or not school.logo:
        abort(404)
    response = current_app.response_class(school.logo, mimetype=school.logo_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    # A versioned URL never changes content; an unversioned one is checked each time.
    versioned = request.args.get("v") == str(version)
    response.headers["Cache-Control"] = LONG_CACHE if versioned else "no-cache"
    return response


@bp.get("/theme.css")
def theme():
    colour = theme_colour(current_school())
    css = f":root {{ --brand: {colour}; }}\n"
    response = current_app.response_class(css, mimetype="text/css")
    response.headers["X-Content-Type-Options"] = "nosniff"
    versioned = request.args.get("v") == colour.lstrip("#")
    response.headers["Cache-Control"] = LONG_CACHE if versioned else "no-cache"
    return response
