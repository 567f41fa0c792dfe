"""Rendering the admin's premium pages: the overview (licence, grants, info) and codes.

The views hand in the one form that failed (so what the admin typed is kept with its
errors); every other form on the page is a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from flask import Response, current_app, render_template
from sqlalchemy import select

from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db
from portal.models import Entitlement, PremiumCode, User, utc_now
from portal.premium import codes, entitlements
from portal.premium.forms import (
    CreateCodesForm,
    DisableCodeForm,
    GrantForm,
    LicenceForm,
    LicenceOffForm,
    PremiumInfoForm,
    RevokeForm,
)
from portal.tenancy import current_school

FormWithCourses = TypeVar("FormWithCourses", GrantForm, LicenceForm, CreateCodesForm)


def with_courses(form: FormWithCourses) -> FormWithCourses:
    """`form` with the catalogue's courses as the choices of its course select."""
    form.set_course_choices(get_catalogue().courses.values())
    return form


@dataclass(frozen=True)
class GrantRow:
    """One line of the grants table."""

    grant: Entitlement
    who: str  # the account, or "everyone" for a licence
    granted_by: str
    revoked_by: str
    live: bool


def _names(user_ids: set[int | None]) -> dict[int, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    rows = get_db().execute(select(User.id, User.display_name, User.email).where(User.id.in_(ids)))
    return {row.id: f"{row.display_name} <{row.email}>" for row in rows}


def grant_rows(grants: list[Entitlement], now: datetime) -> list[GrantRow]:
    """The grants with the names of the people involved."""
    names = _names(
        {g.user_id for g in grants}
        | {g.granted_by_id for g in grants}
        | {g.revoked_by_id for g in grants}
    )
    return [
        GrantRow(
            grant=grant,
            who=names.get(grant.user_id, "(deleted account)")
            if grant.user_id
            else "Everyone at the school",
            granted_by=names.get(grant.granted_by_id, "command line")
            if grant.granted_by_id
            else "command line",
            revoked_by=names.get(grant.revoked_by_id, "command line")
            if grant.revoked_by_id
            else "command line",
            live=entitlements.is_live(grant, now),
        )
        for grant in grants
    ]


def render_overview(
    *,
    licence_form: LicenceForm | None = None,
    licence_off_form: LicenceOffForm | None = None,
    grant_form: GrantForm | None = None,
    info_form: PremiumInfoForm | None = None,
    status: int = 200,
):
    """The licence, the premium info text, the grant form and every grant."""
    school = current_school()
    session = get_db()
    now = utc_now()
    page = render_template(
        "premium/admin.html",
        school=school,
        licences=entitlements.active_licences(session, school, now),
        rows=grant_rows(entitlements.list_grants(session, school), now),
        licence_form=licence_form or with_courses(LicenceForm(formdata=None)),
        licence_off_form=licence_off_form or LicenceOffForm(formdata=None),
        grant_form=grant_form or with_courses(GrantForm(formdata=None)),
        info_form=info_form or PremiumInfoForm(formdata=None, premium_info=school.premium_info),
        revoke_form=RevokeForm(formdata=None),
        course_titles=_course_titles(),
    )
    return page, status


def render_codes(form: CreateCodesForm | None = None, status: int = 200):
    """The codes with their uses, left and expiry, and the form to make more."""
    school = current_school()
    found: list[PremiumCode] = codes.list_codes(get_db(), school)
    now = utc_now()
    page = render_template(
        "premium/codes.html",
        school=school,
        codes=[(code, codes.code_state(code, now)) for code in found],
        form=form or with_courses(CreateCodesForm(formdata=None)),
        disable_form=DisableCodeForm(formdata=None),
        course_titles=_course_titles(),
    )
    return page, status


def csv_response(text: str, filename: str) -> Response:
    """`text` as a CSV download."""
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def redeemed_message(grant: Entitlement) -> str:
    """What a student is told after redeeming a code."""
    course = get_catalogue().course(grant.course_id) if grant.course_id else None
    scope = f"in {course.title}" if course else "in every course"
    until = f" until {grant.until.date().isoformat()}" if grant.until else ""
    return f"Code redeemed: you have premium {scope}{until}."


def _course_titles() -> dict[str, str]:
    return {course.id: course.title for course in get_catalogue().courses.values()}
