"""The profile page, the EXP counter every page shows, and achievement toasts.

A toast for an achievement unlocked by a form post travels as a flashed message of
category "achievement" (its text is the achievement id), so it survives the redirect and
shows once, on the next page.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, flash, g, render_template
from sqlalchemy import select

from portal.auth.access import login_required
from portal.catalogue.catalogue import get_catalogue
from portal.catalogue.content import Achievement
from portal.db import get_db
from portal.gamification.levels import level_for
from portal.gamification.progress import course_progress
from portal.gamification.service import exp_total, held_achievements
from portal.models import ExpEntry

bp = Blueprint("gamification", __name__)

ACHIEVEMENT_FLASH = "achievement"


def flash_unlocked(achievements: Iterable[Achievement]) -> None:
    """Show a toast for each achievement on the next page."""
    for achievement in achievements:
        flash(achievement.id, ACHIEVEMENT_FLASH)


@bp.app_context_processor
def exp_counter() -> dict:
    """`exp_counter`: the logged-in user's EXP and level, shown in every page's header."""

    def counter(known_exp: int | None = None) -> dict:
        # A page that read the student's progress passes its EXP: no second query.
        if known_exp is not None:
            exp = known_exp
        else:
            exp = exp_total(get_db(), g.user) if g.get("user") is not None else 0
        return {"exp": exp, "level": level_for(exp)}

    def held(achievement_id: str) -> bool:
        if g.get("user") is None:
            return False
        if "held_achievements" not in g:
            g.held_achievements = held_achievements(get_db(), g.user)
        return achievement_id in g.held_achievements

    return {
        "exp_counter": counter,
        "achievement_by_id": get_catalogue().achievement,
        "achievement_held": held,
    }


@bp.get("/profile")
@login_required
def profile():
    session = get_db()
    exp = exp_total(session, g.user)
    courses = [
        (course, course_progress(session, g.user, course))
        for course in get_catalogue().courses.values()
    ]
    ledger = session.scalars(
        select(ExpEntry)
        .where(ExpEntry.tenant_id == g.user.tenant_id, ExpEntry.user_id == g.user.id)
        .order_by(ExpEntry.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "gamification/profile.html",
        exp=exp,
        level=level_for(exp),
        courses=courses,
        held=held_achievements(session, g.user),
        ledger=ledger,
    )
