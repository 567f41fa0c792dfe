"""The dashboard's forms; Flask-WTF adds and checks the CSRF token of each.

The forms check shapes (lengths, choices); the service modules check the rules.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.admin.branding import COLOUR_SHAPE
from portal.models import GROUP_NAME_MAX, SignupPolicy

ROLE_CHOICES = [
    ("student", "Student"),
    ("instructor", "Instructor"),
    ("school_admin", "School admin"),
]
POLICY_CHOICES = [
    (SignupPolicy.OPEN.value, "Open: anyone may sign up"),
    (SignupPolicy.INVITE.value, "Invite code: whoever knows the code"),
    (SignupPolicy.EMAIL_DOMAIN.value, "Email domain: addresses at one domain"),
    (SignupPolicy.CLOSED.value, "Closed: staff create the accounts"),
]


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    # WTForms 3.3 deprecates tuples; the pairs stay plain for the templates' filters.
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """No fields: a button's form exists for its CSRF token (deactivate, resolve, ...)."""


class RoleForm(FlaskForm):
    """A user's new role."""

    role = SelectField("Role", choices=_choices(ROLE_CHOICES))


class BrandingForm(FlaskForm):
    """The school's name and colour."""

    name = StringField("School name", validators=[DataRequired(), Length(min=1, max=200)])
    colour = StringField(
        "Colour",
        validators=[
            DataRequired(),
            Regexp(COLOUR_SHAPE.pattern, message="Write the colour as #rrggbb, e.g. #3b5bdb."),
        ],
        description="#rrggbb, used for the header's accent.",
    )


class LogoForm(FlaskForm):
    """A new logo."""

    logo = FileField(
        "Logo",
        validators=[FileRequired("Choose an image file.")],
        description="PNG, JPEG or WebP, at most 256 KiB.",
    )


class SignupPolicyForm(FlaskForm):
    """Who may sign up, with the invite code or email domain that policy needs."""

    policy = SelectField("Sign-up policy", choices=_choices(POLICY_CHOICES))
    invite_code = StringField(
        "Invite code",
        validators=[Optional(), Length(max=100)],
        description="For the invite policy.",
    )
    email_domain = StringField(
        "Email domain",
        validators=[Optional(), Length(max=253)],
        description="For the email domain policy, e.g. school.example.edu.",
    )


class AdaEndpointForm(FlaskForm):
    """The school's own chat endpoint for A.D.A.; the key is write-only (never filled in)."""

    enabled = BooleanField("Answer questions to A.D.A. with the school's own endpoint")
    url = StringField(
        "Endpoint URL",
        validators=[Optional(), Length(max=500)],
        description="The OpenAI-compatible base URL, e.g. https://api.example.org/v1 "
        "(A.D.A. posts to <URL>/chat/completions). https only.",
    )
    model = StringField(
        "Model",
        validators=[Optional(), Length(min=1, max=100, message="1 to 100 characters.")],
        description="The model name the endpoint expects, 1 to 100 characters.",
    )
    key = PasswordField(
        "New key",
        validators=[Optional(), Length(max=500)],
        description="Sent as a Bearer token. Leave empty to keep the current key; it is "
        "never shown again.",
    )
    clear_key = BooleanField("Clear the key")


class GroupForm(FlaskForm):
    """A group's name; `portal.admin.groups` checks it is unique at the school."""

    name = StringField(
        "Name",
        # Room for spaces and controls the service trims; it enforces the real maximum.
        validators=[Length(max=4 * GROUP_NAME_MAX)],
        description=f"e.g. Year 10 B; at most {GROUP_NAME_MAX} characters.",
    )


class GroupMembersForm(FlaskForm):
    """Students to put into a group, by email (pasted from a spreadsheet works)."""

    emails = TextAreaField(
        "Students' emails",
        validators=[Length(max=100_000)],
        description="One a line, or separated by commas or spaces.",
    )
