"""Register, log in (throttled), log out, and reset a forgotten password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from portal.auth import reset, service, throttle
from portal.auth.access import is_safe_next, log_in, log_out
from portal.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    RegisterForm,
    ResetPasswordForm,
)
from portal.auth.signup_policy import SignupRefused, check_signup, signup_policy
from portal.db import get_db
from portal.mail import MailNotSent, send_mail
from portal.models import SignupPolicy, utc_now
from portal.tenancy import current_school, school_base_url

bp = Blueprint("auth", __name__, url_prefix="/auth")

INVALID_LOGIN = "Invalid email or password."
TOO_MANY_ATTEMPTS = "Too many failed attempts. Try again in {minutes} minutes."
LINK_HOURS = int(reset.TOKEN_LIFETIME.total_seconds() // 3600)
# The reset page's URL holds the token: its links, assets and form post send only the
# origin as Referer (not "no-referrer": over https the CSRF check needs that origin).
ORIGIN_ONLY_REFERRER = {"Referrer-Policy": "strict-origin"}


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
            user = _register_and_sign_in(school, form)
        except throttle.TooManyAttempts as refusal:
            flash(TOO_MANY_ATTEMPTS.format(minutes=refusal.minutes), "error")
            page = render_template("auth/register.html", form=form, policy=policy, school=school)
            return page, 429, {"Retry-After": str(refusal.seconds)}
        except SignupRefused as refusal:
            getattr(form, refusal.field).errors.append(str(refusal))
        except service.EmailTaken:
            form.email.errors.append("An account with this email exists already. Log in?")
        else:
            flash(f"Welcome, {user.display_name}: your account is ready.", "success")
            return redirect(url_for("courses.index"))
    status = 422 if form.errors else 200
    page = render_template("auth/register.html", form=form, policy=policy, school=school)
    return page, status


def _register_and_sign_in(school, form: RegisterForm):
    """Create the account and sign it in, under the same rules as a login.

    An address locked out of logins gets no session by registering either (the throttle is
    checked first, and nothing is created while it holds); the sign-in is recorded as a
    successful login attempt and starts a fresh session, exactly as `login` does.
    """
    db = get_db()
    remote_addr = request.remote_addr or ""
    now = utc_now()
    throttle.check_not_throttled(
        db,
        school,
        form.email.data,
        remote_addr,
        throttle.LoginLimits.from_config(current_app.config),
        now,
    )
    check_signup(school, form.email.data, form.invite_code.data)
    user = service.register_user(
        db,
        school,
        email=form.email.data,
        display_name=form.display_name.data,
        password=form.password.data,
    )
    throttle.record_attempt(db, school, user.email, remote_addr, succeeded=True, now=now)
    log_in(user)
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        try:
            user = throttle.log_in_with_password(
                get_db(),
                current_school(),
                form.email.data,
                form.password.data,
                remote_addr=request.remote_addr or "",
                limits=throttle.LoginLimits.from_config(current_app.config),
                now=utc_now(),
            )
        except throttle.TooManyAttempts as refusal:
            flash(TOO_MANY_ATTEMPTS.format(minutes=refusal.minutes), "error")
            page = render_template("auth/login.html", form=form, next_url=next_url)
            return page, 429, {"Retry-After": str(refusal.seconds)}
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


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    """Mail a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        school = current_school()
        issued = reset.request_reset(get_db(), school, form.email.data)
        if issued is not None:
            user, token = issued
            link = school_base_url(school) + url_for("auth.reset_password", token=token)
            subject = f"Choose a new password at {school.name}"
            try:
                send_mail(user.email, subject, _reset_mail(user.display_name, link))
            except MailNotSent:
                pass  # logged by portal.mail; telling the visitor would reveal the account
        return render_template("auth/forgot.html", sent=True, lifetime_hours=LINK_HOURS)
    status = 422 if form.errors else 200
    return render_template("auth/forgot.html", form=form, sent=False), status


def _reset_mail(name: str, link: str) -> str:
    return (
        f"Hello {name},\n\n"
        "Someone (we hope you) asked to choose a new password for your account.\n"
        f"Follow this link within {LINK_HOURS} hours; it works once:\n\n{link}\n\n"
        "If you did not ask, ignore this message: your password stays as it is.\n"
    )


@bp.route("/reset", methods=["GET", "POST"])
def reset_password():
    """Choose a new password with a token from a reset link (`?token=...`)."""
    form = ResetPasswordForm()
    if request.method == "GET":
        form.token.data = request.args.get("token", "")
    try:
        user = reset.user_for_token(get_db(), form.token.data or "")
        if form.validate_on_submit():
            reset.reset_password(get_db(), form.token.data, form.password.data)
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("auth.login"))
    except reset.InvalidResetToken:
        page = render_template("auth/reset.html", form=None, lifetime_hours=LINK_HOURS)
        return page, 400, ORIGIN_ONLY_REFERRER
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form, user=user), status, ORIGIN_ONLY_REFERRER
