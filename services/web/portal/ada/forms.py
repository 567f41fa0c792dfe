"""The question form of the A.D.A. page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.ada.service import MAX_QUESTION, MIN_QUESTION

LENGTH_MESSAGE = f"Ask your question in {MIN_QUESTION} to {MAX_QUESTION} characters."


class QuestionForm(FlaskForm):
    """One question to A.D.A."""

    question = TextAreaField(
        "Your question",
        validators=[
            DataRequired(LENGTH_MESSAGE),
            Length(min=MIN_QUESTION, max=MAX_QUESTION, message=LENGTH_MESSAGE),
        ],
        description=f"{MIN_QUESTION} to {MAX_QUESTION} characters.",
        render_kw={"rows": 6},  # a browser's default is two rows
    )
