"""The premium gates of the pages: `premium_required` and the checks the views call.

Browsers without premium are sent to the upsell page (with a safe `next` back to where
they were); JSON callers get 403 with the upsell URL, which a script can show. Whether
the user has premium is asked once per course per request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, jsonify, redirect, request, url_for

from portal.auth.access import login_required, wants_json
from portal.db import get_db
from portal.premium.entitlements import has_premium
from portal.premium.upsell import render_upsell

PREMIUM_NEEDED = "This part of the course needs premium."


def user_has_premium(course_id: str | None) -> bool:
    """Whether the request's user has premium in `course_id` (cached for the request)."""
    answers = g.setdefault("premium_by_course", {})
    if course_id not in answers:
        answers[course_id] = has_premium(get_db(), g.get("user"), course_id)
    return answers[course_id]


def upsell_url(course_id: str | None, next_url: str | None = None) -> str:
    """The upsell page for `course_id`, coming back to `next_url` after a redemption."""
    return url_for("premium.upsell", course=course_id, next=next_url)


def premium_refusal(course_id: str | None, *, redirect_browser: bool = True):
    """The answer to a user without premium: a redirect to the upsell page (GET), or 403.

    A refused form post answers 403 with the upsell page itself, so the student sees at
    once why nothing was saved and how to get access.
    """
    here = request.full_path if request.query_string else request.path
    target = upsell_url(course_id, here if request.method == "GET" else None)
    if wants_json():
        return jsonify(error=PREMIUM_NEEDED, upsell=target), 403
    if redirect_browser and request.method == "GET":
        return redirect(target)
    return render_upsell(course_id, None, status=403, refused=True)


def premium_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only for users with premium in the view's `course_id` (a whole premium feature)."""

    @functools.wraps(view)
    def guarded(**kwargs: Any) -> Any:
        course_id = kwargs.get("course_id")
        if not user_has_premium(course_id):
            return premium_refusal(course_id)
        return view(**kwargs)

    return login_required(guarded)
