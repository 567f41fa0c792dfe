"""The catalogue and course pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from portal.courses.catalogue import get_catalogue

bp = Blueprint("courses", __name__)


@bp.get("/")
def index():
    return render_template("courses/index.html", courses=get_catalogue().courses.values())


@bp.get("/courses/<course_id>")
def course_page(course_id: str):
    course = get_catalogue().course(course_id)
    if course is None:
        abort(404)
    return render_template("courses/course.html", course=course)
