"""The dashboard's home page: the school's figures and links to what the role may use."""

from __future__ import annotations

from flask import current_app, g, render_template

from portal.admin.blueprint import bp
from portal.admin.dashboard import school_figures
from portal.auth.access import staff_required
from portal.db import get_db
from portal.models import Role
from portal.tenancy import current_school

# Built by the premium part of issue 5; linked only once it is there.
PREMIUM_ENDPOINT = "premium.admin_overview"


def is_school_admin() -> bool:
    """Whether the logged-in user may open the school admin's pages."""
    return g.user is not None and g.user.role in (Role.SCHOOL_ADMIN, Role.PLATFORM_ADMIN)


@bp.app_context_processor
def dashboard_roles() -> dict:
    """`is_school_admin()` for the dashboard's templates and the site menu."""
    return {"is_school_admin": is_school_admin}


@bp.get("/")
@staff_required
def home():
    return render_template(
        "admin/home.html",
        figures=school_figures(get_db(), current_school()),
        premium_ready=PREMIUM_ENDPOINT in current_app.view_functions,
    )
