"""Error pages for browsers, error objects for scripts."""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.auth.access import wants_json


def init_app(app: Flask) -> None:
    """Answer HTTP errors in the caller's language (HTML or JSON)."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _csrf_error(error: CSRFError):
    return _respond(400, "Bad Request", "This form has expired. Reload the page and try again.")


def _http_error(error: HTTPException):
    return _respond(error.code or 500, error.name, error.description or "")


def _respond(code: int, title: str, message: str):
    if wants_json():
        return jsonify(error=title, message=message), code
    return render_template("error.html", code=code, title=title, message=message), code
