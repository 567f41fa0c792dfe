"""Answering a quick question: in place (htmx swaps A.D.A.'s feedback in) or, without
JavaScript, as a plain form post that re-renders the step with the feedback."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from portal.courses.views import course_or_404, render_step
from portal.db import get_db
from portal.gamification.service import exp_total
from portal.premium.access import premium_refusal, user_has_premium
from portal.questions.grading import InvalidAnswer
from portal.questions.service import answer_question

bp = Blueprint("questions", __name__)


@bp.post("/courses/<course_id>/questions/<question_id>/answer")
def answer(course_id: str, question_id: str):
    course = course_or_404(course_id)
    found = course.question(question_id)
    if found is None:
        abort(404)
    step, question = found
    in_place = request.headers.get("HX-Request") == "true"
    if not step.public and g.user is None:
        if in_place:
            return render_template("questions/_login_needed.html", course=course, step=step), 401
        here = url_for("courses.step_page", course_id=course.id, step_id=step.id)
        return redirect(url_for("auth.login", next=here))
    if step.premium and not user_has_premium(course.id):
        return premium_refusal(course.id, redirect_browser=False)
    try:
        outcome = answer_question(get_db(), g.user, course, question, request.form)
        error = None
    except InvalidAnswer as invalid:
        outcome, error = None, str(invalid)
    status = 422 if error else 200
    if not in_place:
        return render_step(course, step, {question.id: (outcome, error)}, status)
    exp = exp_total(get_db(), g.user) if g.user is not None and outcome else None
    fragment = render_template(
        "questions/_answered.html", question=question, outcome=outcome, error=error, exp=exp
    )
    return fragment, status
