"""The "Found an error?" form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.reports.service import MAX_MESSAGE, MIN_MESSAGE


class ErrorReportForm(FlaskForm):
    """What is wrong, and optionally the submission it showed up in."""

    message = TextAreaField(
        "What is wrong?",
        validators=[
            DataRequired("Describe the error."),
            Length(
                min=MIN_MESSAGE,
                max=MAX_MESSAGE,
                message=f"Describe the error in {MIN_MESSAGE} to {MAX_MESSAGE} characters.",
            ),
        ],
        description=f"{MIN_MESSAGE} to {MAX_MESSAGE} characters. Staff of your school read it.",
        render_kw={"rows": 6},  # a browser's default is two rows
    )
    submission = HiddenField(validators=[Optional(), Regexp(r"^\d{1,18}$")])
