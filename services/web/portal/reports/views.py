"""The "Found an error?" form of a step, for logged-in learners."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from portal.auth.access import login_required
from portal.courses.views import course_or_404, step_or_404
from portal.db import get_db
from portal.reports import service
from portal.reports.forms import ErrorReportForm

bp = Blueprint("reports", __name__)


@bp.route("/courses/<course_id>/steps/<step_id>/report", methods=["GET", "POST"])
@login_required
def report_error(course_id: str, step_id: str):
    course = course_or_404(course_id)
    step = step_or_404(course, step_id)
    form = ErrorReportForm()
    if request.method == "GET":
        form.submission.data = request.args.get("submission", "")
    submission_id = int(form.submission.data) if (form.submission.data or "").isdigit() else None
    if (
        submission_id is not None
        and service.own_submission(get_db(), g.user, submission_id) is None
    ):
        abort(404)
    status = 200
    if form.validate_on_submit():
        try:
            service.file_report(
                get_db(),
                g.user,
                course.id,
                step.id,
                form.message.data,
                submission_id,
                step_title=step.title,
            )
        except service.ReportRefused as error:
            form.message.errors.append(str(error))
        except service.ReportThrottled:
            flash("You sent many reports in the last hour. Try again later.", "error")
            status = 429
        else:
            flash("Thank you: your report went to the school's staff.", "success")
            return redirect(url_for("courses.step_page", course_id=course.id, step_id=step.id))
    if status == 200 and form.errors:
        status = 422
    page = render_template(
        "reports/new.html", form=form, course=course, step=step, submission_id=submission_id
    )
    headers = {"Retry-After": str(service.ReportThrottled.retry_after)} if status == 429 else {}
    return page, status, headers
