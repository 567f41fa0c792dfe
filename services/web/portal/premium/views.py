"""The premium pages: the upsell page and redeeming a code (students), and the admin's
licence, grants, info text and codes (school admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from portal.auth.access import is_safe_next, login_required, school_admin_required
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db
from portal.premium import admin_pages, codes, entitlements
from portal.premium.access import user_has_premium
from portal.premium.dates import PastDate, until_from_date
from portal.premium.forms import (
    CreateCodesForm,
    DisableCodeForm,
    GrantForm,
    LicenceForm,
    LicenceOffForm,
    PremiumInfoForm,
    RedeemCodeForm,
    RevokeForm,
)
from portal.premium.upsell import render_upsell, set_premium_info
from portal.tenancy import current_school

bp = Blueprint("premium", __name__)


@bp.app_template_global("has_premium")
def has_premium_here(course_id: str | None) -> bool:
    """For templates: whether the request's user has premium in `course_id`."""
    return user_has_premium(course_id)


def _safe_next(target: str | None) -> str | None:
    return target if is_safe_next(target) else None


def _course_arg(value: str | None) -> str | None:
    return value if value and get_catalogue().course(value) is not None else None


# --- students ----------------------------------------------------------------------------


@bp.get("/premium")
@login_required
def upsell():
    course_id = _course_arg(request.args.get("course"))
    return render_upsell(course_id, _safe_next(request.args.get("next")))


@bp.post("/premium/redeem")
@login_required
def redeem():
    form = RedeemCodeForm()
    course_id = _course_arg(form.course.data)
    next_url = _safe_next(form.next.data)
    if not form.validate_on_submit():
        return render_upsell(course_id, next_url, form, status=422)
    try:
        grant = codes.redeem_code(get_db(), current_school(), g.user, form.code.data)
    except codes.RedemptionThrottled as refused:
        form.code.errors.append(str(refused))
        return render_upsell(course_id, next_url, form, status=429)
    except codes.RedemptionRefused as refused:
        form.code.errors.append(str(refused))
        return render_upsell(course_id, next_url, form, status=422)
    flash(admin_pages.redeemed_message(grant), "success")
    return redirect(next_url or url_for(".upsell", course=course_id))


# --- school admins -----------------------------------------------------------------------


@bp.get("/admin/premium")
@school_admin_required
def admin_overview():
    return admin_pages.render_overview()


@bp.post("/admin/premium/licence")
@school_admin_required
def licence_on():
    form = admin_pages.with_courses(LicenceForm())
    if not form.validate_on_submit():
        return admin_pages.render_overview(licence_form=form, status=422)
    try:
        until = until_from_date(form.until.data)
    except PastDate as error:
        form.until.errors.append(str(error))
        return admin_pages.render_overview(licence_form=form, status=422)
    entitlements.turn_licence_on(
        get_db(), current_school(), g.user, until, form.reason.data.strip(), form.course_id()
    )
    flash("The school-wide licence is on.", "success")
    return redirect(url_for(".admin_overview"))


@bp.post("/admin/premium/licence/off")
@school_admin_required
def licence_off():
    form = LicenceOffForm()
    if not form.validate_on_submit():
        return admin_pages.render_overview(licence_off_form=form, status=422)
    ended = entitlements.turn_licence_off(
        get_db(), current_school(), g.user, (form.reason.data or "").strip()
    )
    flash(f"The school-wide licence is off ({ended} ended).", "success")
    return redirect(url_for(".admin_overview"))


@bp.post("/admin/premium/grants")
@school_admin_required
def grant():
    form = admin_pages.with_courses(GrantForm())
    if not form.validate_on_submit():
        return admin_pages.render_overview(grant_form=form, status=422)
    try:
        until = until_from_date(form.until.data)
        entitlements.grant_to_user(
            get_db(),
            current_school(),
            g.user,
            form.email.data,
            until,
            form.reason.data.strip(),
            form.course_id(),
        )
    except PastDate as error:
        form.until.errors.append(str(error))
        return admin_pages.render_overview(grant_form=form, status=422)
    except entitlements.UnknownAccount as error:
        form.email.errors.append(str(error))
        return admin_pages.render_overview(grant_form=form, status=422)
    flash(f"Premium granted to {form.email.data.strip()}.", "success")
    return redirect(url_for(".admin_overview"))


@bp.post("/admin/premium/grants/<int:grant_id>/revoke")
@school_admin_required
def revoke(grant_id: int):
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        entitlements.revoke_grant(
            get_db(), current_school(), g.user, grant_id, (form.reason.data or "").strip()
        )
    except entitlements.GrantNotFound:
        abort(404)
    flash("The grant is revoked.", "success")
    return redirect(url_for(".admin_overview"))


@bp.post("/admin/premium/info")
@school_admin_required
def premium_info():
    form = PremiumInfoForm()
    if not form.validate_on_submit():
        return admin_pages.render_overview(info_form=form, status=422)
    set_premium_info(get_db(), current_school(), g.user, form.premium_info.data)
    flash("The premium page's text is saved.", "success")
    return redirect(url_for(".admin_overview"))


@bp.get("/admin/premium/codes")
@school_admin_required
def codes_page():
    return admin_pages.render_codes()


@bp.post("/admin/premium/codes")
@school_admin_required
def create_codes():
    form = admin_pages.with_courses(CreateCodesForm())
    if not form.validate_on_submit():
        return admin_pages.render_codes(form, status=422)
    try:
        until = until_from_date(form.until.data)
    except PastDate as error:
        form.until.errors.append(str(error))
        return admin_pages.render_codes(form, status=422)
    created = codes.create_codes(
        get_db(),
        current_school(),
        g.user,
        count=form.count.data,
        max_uses=form.uses.data,
        until=until,
        course_id=form.course_id(),
        note=(form.note.data or "").strip(),
    )
    flash(f"{len(created)} new code(s) created.", "success")
    return redirect(url_for(".codes_page"))


@bp.get("/admin/premium/codes.csv")
@school_admin_required
def codes_csv():
    text = codes.codes_csv(codes.list_codes(get_db(), current_school()))
    return admin_pages.csv_response(text, "premium-codes.csv")


@bp.post("/admin/premium/codes/<int:code_id>/disable")
@school_admin_required
def disable_code(code_id: int):
    if not DisableCodeForm().validate_on_submit():
        abort(400)
    try:
        codes.disable_code(get_db(), current_school(), g.user, code_id)
    except codes.CodeNotFound:
        abort(404)
    flash("The code is disabled.", "success")
    return redirect(url_for(".codes_page"))
