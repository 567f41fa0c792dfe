"""The lab's submit form: the code editor, or a file for those who work locally."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField


class SubmitCodeForm(FlaskForm):
    """Code typed in the editor; an uploaded file, when given, is submitted instead."""

    code = TextAreaField("Your code")
    upload = FileField("Or upload a file")  # the page names the lab's entrypoint

    def submitted_code(self) -> str | bytes:
        """The uploaded file's raw bytes if there is one, else the typed text."""
        upload = self.upload.data
        if upload is not None and getattr(upload, "filename", ""):
            return upload.read()
        return self.code.data or ""
