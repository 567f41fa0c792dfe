"""The A.D.A. page of a course: the student's earlier consultations and the question form."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for

from portal.ada import service
from portal.ada.display import render_answer
from portal.ada.endpoint_settings import endpoint_host
from portal.ada.forms import QuestionForm
from portal.courses.views import course_or_404
from portal.db import get_db
from portal.premium.access import premium_required
from portal.tenancy import current_school

bp = Blueprint("ada", __name__)


@bp.app_template_filter("ada_answer")
def _ada_answer(text: str):
    return render_answer(text)


@bp.get("/courses/<course_id>/ada")
@premium_required
def page(course_id: str):
    return _render_page(course_id, QuestionForm())


@bp.post("/courses/<course_id>/ada")
@premium_required
def ask(course_id: str):
    course = course_or_404(course_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _render_page(course.id, form, status=422)
    policy = service.AdaPolicy.from_config(current_app.config)
    try:
        consultation = service.ask(
            get_db(), current_school(), g.user, course, form.question.data, policy
        )
    except service.QuestionRefused as error:
        form.question.errors.append(str(error))
        return _render_page(course.id, form, status=422)
    except service.QuestionsThrottled as error:
        flash(str(error), "error")
        page, status = _render_page(course.id, form, status=429)
        return page, status, {"Retry-After": str(error.retry_after)}
    return redirect(
        url_for(".page", course_id=course.id, _anchor=f"consultation-{consultation.id}")
    )


def _render_page(course_id: str, form: QuestionForm, status: int = 200):
    course = course_or_404(course_id)
    school = current_school()
    sent_to = endpoint_host(school.ada_endpoint_url) if service.endpoint_in_use(school) else ""
    page = render_template(
        "ada/consult.html",
        course=course,
        form=form,
        consultations=service.consultations_of(get_db(), g.user, course.id),
        sent_to=sent_to,
    )
    return page, status
