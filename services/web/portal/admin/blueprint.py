"""The `admin` blueprint, shared by the dashboard's view modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
