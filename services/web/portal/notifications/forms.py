"""The notifications page's buttons: forms without fields, for their CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm


class NotificationActionForm(FlaskForm):
    """The "Open" and "Mark all as read" buttons change state: POSTs with a CSRF token."""
