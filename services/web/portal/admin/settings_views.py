"""Settings (school admins): branding, the sign-up policy and A.D.A.'s endpoint."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for

from portal.ada.endpoint_settings import EndpointSettingsRefused, set_ada_endpoint
from portal.admin import branding
from portal.admin.blueprint import bp
from portal.admin.forms import (
    ActionForm,
    AdaEndpointForm,
    BrandingForm,
    LogoForm,
    SignupPolicyForm,
)
from portal.admin.signup_settings import SignupSettingsRefused, set_signup_policy
from portal.auth.access import school_admin_required
from portal.db import get_db
from portal.tenancy import current_school


def _render_settings(status: int = 200, **forms):
    school = current_school()
    forms.setdefault("branding_form", BrandingForm(name=school.name, colour=school.brand_colour))
    forms.setdefault("logo_form", LogoForm())
    forms.setdefault(
        "signup_form",
        SignupPolicyForm(
            policy=school.signup_policy,
            invite_code=school.signup_invite_code or "",
            email_domain=school.signup_email_domain or "",
        ),
    )
    forms.setdefault(
        "ada_form",
        AdaEndpointForm(
            enabled=school.ada_endpoint_enabled,
            url=school.ada_endpoint_url or "",
            model=school.ada_endpoint_model or "",
        ),
    )
    page = render_template(
        "admin/settings.html",
        school=school,
        logo_version=branding.logo_version(get_db(), school),
        action_form=ActionForm(),
        **forms,
    )
    return page, status


@bp.get("/settings")
@school_admin_required
def settings():
    return _render_settings()


@bp.post("/settings/branding")
@school_admin_required
def save_branding():
    form = BrandingForm()
    if form.validate_on_submit():
        try:
            branding.update_identity(
                get_db(), current_school(), g.user, form.name.data, form.colour.data
            )
        except branding.BrandingRefused as error:
            form.name.errors.append(str(error))
        else:
            flash("The school's name and colour are saved.", "success")
            return redirect(url_for(".settings"))
    return _render_settings(422, branding_form=form)


@bp.post("/settings/logo")
@school_admin_required
def upload_logo():
    form = LogoForm()
    if form.validate_on_submit():
        # One byte more than allowed is enough to tell "too large".
        data = form.logo.data.read(branding.MAX_LOGO_BYTES + 1)
        try:
            branding.store_logo(get_db(), current_school(), g.user, data)
        except branding.BrandingRefused as error:
            form.logo.errors.append(str(error))
        else:
            flash("The new logo is saved.", "success")
            return redirect(url_for(".settings"))
    return _render_settings(422, logo_form=form)


@bp.post("/settings/logo/remove")
@school_admin_required
def remove_logo():
    if ActionForm().validate_on_submit():
        branding.remove_logo(get_db(), current_school(), g.user)
        flash("The logo is removed.", "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/signup")
@school_admin_required
def save_signup_policy():
    form = SignupPolicyForm()
    if form.validate_on_submit():
        try:
            set_signup_policy(
                get_db(),
                current_school(),
                g.user,
                form.policy.data,
                form.invite_code.data or "",
                form.email_domain.data or "",
            )
        except SignupSettingsRefused as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            flash("The sign-up policy is saved.", "success")
            return redirect(url_for(".settings"))
    return _render_settings(422, signup_form=form)


@bp.post("/settings/ada")
@school_admin_required
def save_ada_endpoint():
    form = AdaEndpointForm()
    if form.validate_on_submit():
        try:
            set_ada_endpoint(
                get_db(),
                current_school(),
                g.user,
                enabled=form.enabled.data,
                url=form.url.data or "",
                model=form.model.data or "",
                new_key=form.key.data or "",
                clear_key=form.clear_key.data,
                allow_http_loopback=current_app.config["PORTAL_ENV"] != "production",
            )
        except EndpointSettingsRefused as error:
            getattr(form, error.field).errors.append(str(error))
        else:
            flash("A.D.A.'s endpoint settings are saved.", "success")
            return redirect(url_for(".settings"))
    return _render_settings(422, ada_form=form)
