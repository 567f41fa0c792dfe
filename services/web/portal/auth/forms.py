"""The account forms; Flask-WTF adds and checks the CSRF token of each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

# Deliberately loose: the only real proof of an address is a mail that arrives.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class RegisterForm(FlaskForm):
    """A new student account."""

    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254), Regexp(EMAIL_SHAPE, message="Not an email.")],
    )
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=10, max=200)],
        description="At least 10 characters.",
    )
    # Asked for only when the school's sign-up policy is "invite".
    invite_code = StringField("Invite code", validators=[Optional(), Length(max=100)])


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """No fields: the form exists for its CSRF token, so a link cannot log anyone out."""
