"""The platform admin's pages (`/platform/...`): schools, grading health, activity charts.

Every route is for platform admins only. Cross-school counts come from the read-only
`open_cross_school_session()`; changes go through the request's session and are audited
against the admin's own school.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from portal.audit import record_action
from portal.auth.access import platform_admin_required
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db, open_cross_school_session
from portal.platform_admin import activity, charts, grading_health, schools
from portal.platform_admin.forms import SchoolCreateForm, SchoolEditForm
from portal.queue import get_redis
from portal.tenancy import current_school, school_base_url

bp = Blueprint("platform_admin", __name__, url_prefix="/platform")


@bp.get("/")
@platform_admin_required
def overview():
    cross_school = open_cross_school_session()
    return render_template(
        "platform_admin/overview.html",
        rows=schools.schools_with_counts(cross_school),
        days=activity.submissions_per_day(cross_school),
        labs=activity.pass_rate_per_lab(cross_school, get_catalogue()),
        charts=charts,
        current_school_id=current_school().id,
        school_base_url=school_base_url,
    )


@bp.route("/schools/new", methods=["GET", "POST"])
@platform_admin_required
def new_school():
    form = SchoolCreateForm()
    if form.validate_on_submit():
        try:
            school = schools.create_school(
                get_db(),
                slug=form.slug.data,
                name=form.name.data,
                domain=form.domain.data,
                audit_school=current_school(),
                actor=g.user,
            )
        except schools.InvalidSchool as error:
            form.show_errors(error.errors)
        else:
            flash(f"School {school.slug} created: {school_base_url(school)}", "success")
            return redirect(url_for(".overview"))
    status = 422 if form.is_submitted() else 200
    return render_template("platform_admin/school_form.html", form=form, school=None), status


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@platform_admin_required
def edit_school(school_id: int):
    school = _school_or_404(school_id)
    form = SchoolEditForm(obj=school)
    if form.validate_on_submit():
        try:
            schools.update_school(
                get_db(), school, name=form.name.data, domain=form.domain.data, actor=g.user
            )
        except schools.InvalidSchool as error:
            form.show_errors(error.errors)
        else:
            flash(f"School {school.slug} saved.", "success")
            return redirect(url_for(".overview"))
    status = 422 if form.is_submitted() else 200
    return render_template("platform_admin/school_form.html", form=form, school=school), status


@bp.post("/schools/<int:school_id>/deactivate")
@platform_admin_required
def deactivate_school(school_id: int):
    return _set_active(school_id, active=False)


@bp.post("/schools/<int:school_id>/reactivate")
@platform_admin_required
def reactivate_school(school_id: int):
    return _set_active(school_id, active=True)


def _set_active(school_id: int, active: bool):
    school = _school_or_404(school_id)
    try:
        schools.set_school_active(get_db(), school, active, g.user)
    except schools.SchoolStateRefused as error:
        flash(str(error), "error")
        return overview(), 409
    state = "reactivated" if active else "deactivated: its pages answer 404"
    flash(f"School {school.slug} {state}.", "success")
    return redirect(url_for(".overview"))


def _school_or_404(school_id: int):
    school = schools.find_school(get_db(), school_id)
    if school is None:
        abort(404)
    return school


@bp.get("/grading")
@platform_admin_required
def grading():
    try:
        health = grading_health.read_grading_health(get_redis())
    except grading_health.QueueServerUnreachable:
        current_app.logger.warning("grading health: the queue server is unreachable")
        return render_template("platform_admin/grading.html", health=None), 503
    return render_template(
        "platform_admin/grading.html", health=health, describe_age=grading_health.describe_age
    )


@bp.post("/grading/queues/<queue_name>/failed/<job_id>/requeue")
@platform_admin_required
def requeue_failed_job(queue_name: str, job_id: str):
    return _act_on_failed_job(grading_health.requeue_failed_job, "requeued", queue_name, job_id)


@bp.post("/grading/queues/<queue_name>/failed/<job_id>/delete")
@platform_admin_required
def delete_failed_job(queue_name: str, job_id: str):
    return _act_on_failed_job(grading_health.delete_failed_job, "deleted", queue_name, job_id)


def _act_on_failed_job(action, verb: str, queue_name: str, job_id: str):
    try:
        action(get_redis(), queue_name, job_id)
    except grading_health.UnknownFailedJob:
        abort(404, "No such failed job: it may have been requeued or deleted already.")
    except grading_health.QueueServerUnreachable:
        return render_template("platform_admin/grading.html", health=None), 503
    session = get_db()
    record_action(
        session,
        current_school(),
        g.user,
        f"grading.job_{verb}",
        f"job:{job_id}"[:100],
        queue=queue_name,
    )
    session.commit()
    flash(f"Job {job_id} {verb}.", "success")
    return redirect(url_for(".grading"))


@bp.get("/charts/submissions-per-day.svg")
@platform_admin_required
def submissions_chart():
    days = activity.submissions_per_day(open_cross_school_session())
    return _svg(charts.render_submissions_svg(days, narrow=_narrow()))


@bp.get("/charts/pass-rate.svg")
@platform_admin_required
def pass_rate_chart():
    labs = activity.pass_rate_per_lab(open_cross_school_session(), get_catalogue())
    return _svg(charts.render_pass_rate_svg(labs, narrow=_narrow()))


def _narrow() -> bool:
    """A phone's <picture> source asks for the chart drawn at a phone's width."""
    return request.args.get("layout") == "narrow"


def _svg(document: str):
    response = current_app.response_class(document, mimetype="image/svg+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    # Opened directly, the SVG is a document of its own: it may run nothing at all.
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
