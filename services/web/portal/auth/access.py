"""Who is logged in, and the named decorators that guard views.

Browsers are sent to the login page with a `next` that can only point back into this
site; JSON callers (the status poller) get 401 or 403, which a script can act on.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, g, jsonify, redirect, request, session, url_for

from portal.db import get_db
from portal.models import Role, User
from portal.tenancy import current_school, request_needs_school


def init_app(app: Flask) -> None:
    """Load the logged-in user before each request."""
    app.before_request(load_logged_in_user)


def load_logged_in_user() -> None:
    """Set `g.user` to the session's account at this school, or None."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None or not request_needs_school():
        return
    user = get_db().get(User, user_id)
    # A session cookie is only good at the school that issued it, for an active account,
    # and only until the account's password changes (a reset logs out every browser).
    if (
        user is not None
        and user.is_active
        and user.tenant_id == current_school().id
        and hmac.compare_digest(session.get("password_stamp", ""), password_stamp(user))
    ):
        g.user = user


def password_stamp(user: User) -> str:
    """A short digest of the account's password hash, kept in its sessions."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def log_in(user: User) -> None:
    """Start a fresh session for `user` (a new session defeats session fixation)."""
    session.clear()
    session["user_id"] = user.id
    session["password_stamp"] = password_stamp(user)


def log_out() -> None:
    """Forget the session."""
    session.clear()


def wants_json() -> bool:
    """Whether the caller asked for JSON rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def is_safe_next(target: str | None) -> bool:
    """Whether `target` is a path on this site (no scheme, no host, no `//` tricks)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only for logged-in users."""

    @functools.wraps(view)
    def guarded(**kwargs: Any) -> Any:
        if g.user is None:
            if wants_json():
                return jsonify(error="Log in first."), 401
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=here))
        return view(**kwargs)

    return guarded


def role_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only for logged-in users holding one of `roles`."""
    allowed = {role.value for role in roles}

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(**kwargs: Any) -> Any:
            if g.user.role not in allowed:
                if wants_json():
                    return jsonify(error="Not allowed."), 403
                abort(403)
            return view(**kwargs)

        return login_required(guarded)

    return decorator


# The named rules the views use. A platform admin may also run the school they belong to.
staff_required = role_required(Role.INSTRUCTOR, Role.SCHOOL_ADMIN, Role.PLATFORM_ADMIN)
staff_required.__doc__ = "Only for instructors and admins (progress, submissions, reports)."
school_admin_required = role_required(Role.SCHOOL_ADMIN, Role.PLATFORM_ADMIN)
school_admin_required.__doc__ = "Only for the school's admins (settings, users, premium)."
platform_admin_required = role_required(Role.PLATFORM_ADMIN)
platform_admin_required.__doc__ = "Only for the operators of the whole platform."


def is_staff(user: User | None) -> bool:
    """Whether `user` is an instructor or an admin (templates use it for the menu)."""
    return user is not None and user.role != Role.STUDENT
