"""The account forms; Flask-WTF adds and checks the CSRF token of each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

# Deliberately loose: the only real proof of an address is a mail that arrives.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def new_password_field(label: str = "Password") -> PasswordField:
    """A password being chosen: the one rule for registration and password reset."""
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=10, max=200)],
        description="At least 10 characters.",
    )


class RegisterForm(FlaskForm):
    """A new student account."""

    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254), Regexp(EMAIL_SHAPE, message="Not an email.")],
    )
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)])
    password = new_password_field()
    # Asked for only when the school's sign-up policy is "invite".
    invite_code = StringField("Invite code", validators=[Optional(), Length(max=100)])


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    """The email to send a reset link to."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    """A new password, chosen through a reset link."""

    # Posted back in the body, so the POST's URL (and any log of it) holds no token.
    token = HiddenField()
    password = new_password_field("New password")


class LogoutForm(FlaskForm):
    """No fields: the form exists for its CSRF token, so a link cannot log anyone out."""
