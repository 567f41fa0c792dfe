"""Register, log in, log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from portal.auth import service
from portal.auth.access import is_safe_next, log_in, log_out
from portal.auth.forms import LoginForm, LogoutForm, RegisterForm
from portal.auth.signup_policy import SignupRefused, check_signup, signup_policy
from portal.db import get_db
from portal.models import SignupPolicy
from portal.tenancy import current_school

bp = Blueprint("auth", __name__, url_prefix="/auth")

INVALID_LOGIN = "Invalid email or password."


@bp.route("/register", methods=["GET", "POST"])
def register():
    school = current_school()
    policy = signup_policy(school)
    if policy is SignupPolicy.CLOSED:
        page = render_template("auth/register.html", form=None, policy=policy, school=school)
        return page, 403 if request.method == "POST" else 200
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            check_signup(school, form.email.data, form.invite_code.data)
            service.register_user(
                get_db(),
                school,
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        except SignupRefused as refusal:
            getattr(form, refusal.field).errors.append(str(refusal))
        except service.EmailTaken:
            form.email.errors.append("An account with this email exists already. Log in?")
        else:
            flash("Your account is ready. Log in to start.", "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    page = render_template("auth/register.html", form=form, policy=policy, school=school)
    return page, status


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                get_db(), current_school(), form.email.data, form.password.data
            )
        except service.InvalidCredentials:
            flash(INVALID_LOGIN, "error")
            return render_template("auth/login.html", form=form, next_url=next_url), 401
        log_in(user)
        return redirect(next_url if is_safe_next(next_url) else url_for("courses.index"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        log_out()
        flash("You are logged out.", "success")
    return redirect(url_for("courses.index"))
