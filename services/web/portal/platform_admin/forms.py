"""The platform admin's school forms; the rules live in `schools.check_school_fields`.

The fields carry only length limits: the CLI and these forms must refuse exactly the
same schools, so the one validation function decides and its messages land on the
fields.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from portal.platform_admin.schools import DOMAIN_MAX_LENGTH, NAME_MAX_LENGTH


class SchoolEditForm(FlaskForm):
    """A school's name and its own domain."""

    name = StringField("Name", validators=[Length(max=NAME_MAX_LENGTH)])
    domain = StringField(
        "Domain (optional)",
        validators=[Length(max=DOMAIN_MAX_LENGTH)],
        description="A host name of its own, such as courses.school.edu. Leave empty for none.",
    )

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the service's messages on the fields they are about."""
        for name, message in errors.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, message]


class SchoolCreateForm(SchoolEditForm):
    """A new school: its slug as well, which never changes afterwards."""

    slug = StringField(
        "Slug",
        validators=[Length(max=63)],
        description=(
            "The first label of the school's address (school-a for school-a.example.org): "
            "lower-case letters, digits and hyphens. It cannot be changed later."
        ),
    )
