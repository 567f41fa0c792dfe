"""The catalogue, the course page, each step of a course, and completing a step."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from portal.auth.access import login_required
from portal.catalogue.catalogue import Course, get_catalogue
from portal.catalogue.content import Step
from portal.courses.progress import complete_step
from portal.db import get_db
from portal.gamification.progress import course_progress
from portal.gamification.views import flash_unlocked
from portal.premium.access import premium_refusal, user_has_premium

bp = Blueprint("courses", __name__)


def course_or_404(course_id: str) -> Course:
    """The course, or a 404."""
    course = get_catalogue().course(course_id)
    if course is None:
        abort(404)
    return course


def step_or_404(course: Course, step_id: str) -> Step:
    """The step of `course`, or a 404."""
    step = course.step(step_id)
    if step is None:
        abort(404)
    return step


@bp.get("/")
def index():
    return render_template("courses/index.html", courses=get_catalogue().courses.values())


@bp.get("/courses/<course_id>")
def course_page(course_id: str):
    course = course_or_404(course_id)
    progress = course_progress(get_db(), g.user, course)
    next_step = next((s for s in course.steps if not progress.step_done(s)), course.steps[0])
    return render_template(
        "courses/course.html", course=course, progress=progress, next_step=next_step
    )


@bp.get("/courses/<course_id>/steps/<step_id>")
def step_page(course_id: str, step_id: str):
    course = course_or_404(course_id)
    return render_step(course, step_or_404(course, step_id))


def render_step(course: Course, step: Step, feedback: dict | None = None, status: int = 200):
    """The step page; `feedback` maps a question id to the outcome to show under it."""
    progress = course_progress(get_db(), g.user, course)
    page = render_template(
        "courses/step.html",
        course=course,
        step=step,
        progress=progress,
        locked=not step.public and g.user is None,
        feedback=feedback or {},
    )
    return page, status


@bp.post("/courses/<course_id>/steps/<step_id>/complete")
@login_required
def complete(course_id: str, step_id: str):
    course = course_or_404(course_id)
    step = step_or_404(course, step_id)
    if step.premium and not user_has_premium(course.id):
        return premium_refusal(course.id, redirect_browser=False)
    outcome = complete_step(get_db(), g.user, course, step)
    if not outcome.completed:
        flash("To complete this step, " + "; ".join(outcome.missing) + ".", "warning")
        return redirect(url_for(".step_page", course_id=course.id, step_id=step.id))
    flash_unlocked(outcome.unlocked)
    if step.number < len(course.steps):
        following = course.steps[step.number]
        return redirect(url_for(".step_page", course_id=course.id, step_id=following.id))
    flash("You completed every step of the simulation.", "success")
    return redirect(url_for("gamification.profile"))
