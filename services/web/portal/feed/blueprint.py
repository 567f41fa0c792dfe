"""The `feed` blueprint, shared by the Holo-Net's view modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feed", __name__, url_prefix="/feed")
