"""The premium forms: redeeming a code, and the admin's grants, licence, info and codes."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from portal.auth.forms import EMAIL_SHAPE
from portal.premium.codes import MAX_CODES_PER_BATCH

MAX_CODES_PER_FORM = 500
COUNT_MESSAGE = f"Give a whole number from 1 to {MAX_CODES_PER_FORM}."
USES_MESSAGE = "Give a whole number, at least 1."
ALL_COURSES = ""


class RedeemCodeForm(FlaskForm):
    """A code typed by a student; `next` and `course` carry where they came from."""

    code = StringField(
        "Premium code",
        validators=[DataRequired(message="Type the code you were given."), Length(max=60)],
        description="For example ABCD-EFGH-JKLM; case, dashes and spaces do not matter.",
    )
    next = HiddenField()
    course = HiddenField()


class CourseChoiceMixin:
    """A course select: every course, or one of the catalogue's."""

    def set_course_choices(self, courses) -> None:
        self.course.choices = [(ALL_COURSES, "Every course")] + [(c.id, c.title) for c in courses]

    def course_id(self) -> str | None:
        return self.course.data or None


class GrantForm(CourseChoiceMixin, FlaskForm):
    """Premium for one account."""

    email = StringField(
        "Student's email",
        id="grant-email",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message="Give the email of the account."),
            Length(max=254),
            Regexp(EMAIL_SHAPE, message="Not an email."),
        ],
    )
    course = SelectField("Course", id="grant-course", choices=[], validate_choice=True)
    until = DateField("Until (last day, optional)", id="grant-until", validators=[Optional()])
    reason = StringField(
        "Why",
        id="grant-reason",
        validators=[DataRequired(message="Say why, for the record."), Length(max=500)],
    )


class LicenceForm(CourseChoiceMixin, FlaskForm):
    """Turn the school-wide licence on (or extend it)."""

    course = SelectField("Course", id="licence-course", choices=[], validate_choice=True)
    until = DateField(
        "Until (last day; empty for good)", id="licence-until", validators=[Optional()]
    )
    reason = StringField(
        "Why",
        id="licence-reason",
        validators=[DataRequired(message="Say why, for the record."), Length(max=500)],
    )


class LicenceOffForm(FlaskForm):
    """Turn every school-wide licence off."""

    reason = StringField("Why", id="licence-off-reason", validators=[Length(max=500)])


class RevokeForm(FlaskForm):
    """No fields but a reason: the CSRF token keeps a link from revoking anything."""

    reason = StringField("Why", id="revoke-reason", validators=[Length(max=500)])


class PremiumInfoForm(FlaskForm):
    """What students without premium are told about getting it here."""

    premium_info = TextAreaField(
        "How to get premium at this school",
        validators=[Length(max=4000)],
        description="Shown on the premium page as plain text; line breaks are kept.",
    )


class CreateCodesForm(CourseChoiceMixin, FlaskForm):
    """A batch of codes."""

    count = IntegerField(
        "How many codes",
        default=1,
        validators=[
            InputRequired(message=COUNT_MESSAGE),
            NumberRange(1, min(MAX_CODES_PER_FORM, MAX_CODES_PER_BATCH), message=COUNT_MESSAGE),
        ],
    )
    uses = IntegerField(
        "Uses per code",
        default=1,
        validators=[InputRequired(message=USES_MESSAGE), NumberRange(min=1, message=USES_MESSAGE)],
    )
    until = DateField("Valid until (last day, optional)", validators=[Optional()])
    course = SelectField("Course", choices=[], validate_choice=True)
    note = StringField("Note (e.g. who the codes are for)", validators=[Length(max=200)])


class DisableCodeForm(FlaskForm):
    """No fields: the CSRF token keeps a link from disabling a code."""
