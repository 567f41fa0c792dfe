"""Submissions (all staff): the filtered list, one submission in full, its chart; CSVs."""

from __future__ import annotations

from flask import abort, current_app, render_template, request

from portal.admin import exports
from portal.admin.blueprint import bp
from portal.admin.submissions import (
    SubmissionFilter,
    find_submission,
    list_submissions,
    measurement_rows,
)
from portal.auth.access import staff_required
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db
from portal.labs.charts import chart_panels, chart_summary, render_chart_svg
from portal.labs.check_display import feedback_html, shown_checks
from portal.labs.status import VERDICT_LABELS
from portal.models import User, utc_now
from portal.tenancy import current_school


@bp.get("/submissions")
@staff_required
def submissions_list():
    labs = [lab for course in get_catalogue().courses.values() for lab in course.labs]
    chosen = SubmissionFilter(
        lab_id=request.args.get("lab", ""),
        verdict=request.args.get("verdict", ""),
        student=request.args.get("student", "")[:254],
    )
    page = list_submissions(
        get_db(), current_school(), chosen, request.args.get("page", 1, type=int)
    )
    return render_template(
        "admin/submissions.html", page=page, chosen=chosen, labs=labs, verdicts=VERDICT_LABELS
    )


def _submission_or_404(submission_id: int):
    submission = find_submission(get_db(), current_school(), submission_id)
    if submission is None:
        abort(404)
    return submission


@bp.get("/submissions/<int:submission_id>")
@staff_required
def submission_page(submission_id: int):
    submission = _submission_or_404(submission_id)
    chart = chart_panels(submission.analysis) if submission.is_final else []
    lab = get_catalogue().lab(submission.course_id, submission.lab_id)
    return render_template(
        "admin/submission.html",
        submission=submission,
        student=get_db().get(User, submission.user_id),
        lab=lab,
        checks=shown_checks(submission.checks or [], lab),
        feedback_html=feedback_html(submission.feedback or "", lab),
        verdict_label=VERDICT_LABELS.get(submission.verdict or "", submission.verdict),
        measurements=measurement_rows(submission.measurements),
        chart_alt=chart_summary(chart, lab) if chart else None,
    )


@bp.get("/submissions/<int:submission_id>/chart.svg")
@staff_required
def submission_chart(submission_id: int):
    # The students' chart route serves only their own submissions; staff get their own.
    submission = _submission_or_404(submission_id)
    chart = chart_panels(submission.analysis) if submission.is_final else []
    if not chart:
        abort(404)
    narrow = request.args.get("layout") == "narrow"  # a phone's <picture> source
    lab = get_catalogue().lab(submission.course_id, submission.lab_id)
    svg = render_chart_svg(chart, narrow=narrow, lab=lab)
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


def csv_download(kind: str, text: str):
    filename = exports.export_filename(current_school(), kind, utc_now())
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/exports/grades.csv")
@staff_required
def export_grades():
    text = exports.grades_csv(get_db(), current_school(), get_catalogue())
    return csv_download("grades", text)


@bp.get("/exports/progress.csv")
@staff_required
def export_progress():
    text = exports.progress_csv(get_db(), current_school(), get_catalogue())
    return csv_download("progress", text)
