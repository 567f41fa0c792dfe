"""The lab page, its submit and run actions, the status endpoints the page polls and the
stream that pushes a submission's status to it (portal.labs.push)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from portal.auth.access import login_required, wants_json
from portal.catalogue.catalogue import Lab, get_catalogue
from portal.db import get_db
from portal.gamification.progress import course_progress
from portal.gamification.service import achievements_for_submission, exp_total
from portal.labs import push, runs, service
from portal.labs.charts import chart_panels, chart_summary, render_chart_svg
from portal.labs.check_display import feedback_html, shown_checks
from portal.labs.forms import SubmitCodeForm
from portal.labs.run_status import run_document
from portal.labs.status import (
    graders_listening,
    live_status,
    live_status_of,
    status_document,
    verdict_text,
)
from portal.models import Submission, SubmissionStatus
from portal.premium.access import premium_refusal, user_has_premium
from portal.queue import get_queue

bp = Blueprint("labs", __name__)
bp.add_app_template_global(verdict_text, "verdict_text")


def _lab_or_404(course_id: str, lab_id: str) -> Lab:
    lab = get_catalogue().lab(course_id, lab_id)
    if lab is None:
        abort(404)
    return lab


@bp.get("/courses/<course_id>/labs/<lab_id>")
@login_required
def lab_page(course_id: str, lab_id: str):
    lab = _lab_or_404(course_id, lab_id)
    if lab.premium and not user_has_premium(course_id):
        return premium_refusal(course_id)
    return _render_lab(lab)


@bp.post("/courses/<course_id>/labs/<lab_id>")
@login_required
def submit(course_id: str, lab_id: str):
    lab = _lab_or_404(course_id, lab_id)
    if lab.premium and not user_has_premium(course_id):
        return premium_refusal(course_id)  # nothing is stored or queued
    form = SubmitCodeForm()
    if not form.validate_on_submit():
        return _render_lab(lab, form, status=400)
    policy = service.SubmissionPolicy.from_config(current_app.config)
    try:
        outcome = service.submit_lab_code(
            get_db(),
            get_queue(lab.queue_name),
            g.user,
            lab,
            form.submitted_code(),
            policy,
            catalogue=get_catalogue(),
        )
    except service.SubmissionRejected as error:
        flash(str(error), "error")
        return _render_lab(lab, form, status=422)
    except service.SubmissionThrottled as error:
        flash(str(error), "error")
        response = _render_lab(lab, form, status=429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if outcome.enqueued is service.Enqueued.UNAVAILABLE:
        flash("Your code is saved. Grading will start shortly.", "warning")
    return redirect(
        url_for(".lab_page", course_id=course_id, lab_id=lab_id, submission=outcome.submission.id)
    )


@bp.post("/courses/<course_id>/labs/<lab_id>/run")
@login_required
def run(course_id: str, lab_id: str):
    """Run the code once, ungraded: JSON for the page's script, a redirect for a plain form."""
    lab = _lab_or_404(course_id, lab_id)
    if lab.premium and not user_has_premium(course_id):
        return premium_refusal(course_id)  # nothing is stored or queued
    form = SubmitCodeForm()
    if not form.validate_on_submit():
        return _refused_run(lab, form, "The form expired: reload the page.", 400)
    policy = runs.RunPolicy.from_config(current_app.config)
    queue = get_queue(lab.queue_name)
    try:
        lab_run = runs.start_run(get_db(), queue, g.user, lab, form.submitted_code(), policy)
    except service.SubmissionRejected as error:
        return _refused_run(lab, form, str(error), 422)
    except runs.RunThrottled as error:
        response = _refused_run(lab, form, str(error), 429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if wants_json():
        document = run_document(lab_run, queue)
        document["status_url"] = url_for(".run_status", run_id=lab_run.id)
        return jsonify(document), 202
    return redirect(
        url_for(".lab_page", course_id=course_id, lab_id=lab_id, run=lab_run.id, _anchor="run")
    )


def _refused_run(lab: Lab, form: SubmitCodeForm, message: str, status: int):
    if wants_json():
        response = jsonify(error=message)
        response.status_code = status
        return response
    flash(message, "error")
    return _render_lab(lab, form, status=status)


@bp.get("/runs/<int:run_id>/status")
@login_required
def run_status(run_id: int):
    lab_run = runs.find_run(get_db(), g.user, run_id)
    lab = get_catalogue().lab(lab_run.course_id, lab_run.lab_id) if lab_run else None
    if lab_run is None or lab is None:
        abort(404)
    response = jsonify(run_document(lab_run, get_queue(lab.queue_name)))
    response.headers["Cache-Control"] = "no-store"
    return response


def _render_lab(lab: Lab, form: SubmitCodeForm | None = None, status: int = 200):
    session = get_db()
    history = service.list_submissions(session, g.user, lab)
    shown_id = request.args.get("submission", type=int)
    shown = service.find_submission(session, g.user, shown_id) if shown_id else None
    if shown is None and history:
        shown = history[0]
    run_id = request.args.get("run", type=int)
    shown_run = runs.find_run(session, g.user, run_id) if run_id else None
    if shown_run is not None and shown_run.lab_id != lab.id:
        shown_run = None
    if form is None:
        # The editor holds the code of the run or submission on show, so a student iterates
        # on it (and a page that comes back from Run has not lost what was typed).
        code = shown.code if shown is not None else lab.starter_code
        form = SubmitCodeForm(code=shown_run.code if shown_run is not None else code)
    document = _status_of(shown, lab) if shown is not None else None
    shown_run_document = run_document(shown_run, get_queue(lab.queue_name)) if shown_run else None
    course = get_catalogue().course(lab.course_id)
    page = render_template(
        "labs/lab.html",
        lab=lab,
        form=form,
        history=history,
        status=document,
        run=shown_run_document,
        course=course,
        step=course.step_of_lab(lab.id),
        progress=course_progress(session, g.user, course),
    )
    return current_app.make_response((page, status))


def _status_of(submission: Submission, lab: Lab) -> dict:
    queue = get_queue(lab.queue_name)
    status, job_known = live_status(submission, queue)
    achievements = achievements_for_submission(get_db(), submission)
    ready = status != SubmissionStatus.QUEUED or graders_listening(queue)
    document = status_document(submission, status, job_known, achievements, ready)
    if submission.is_final:
        # Titles from the lab's content; messages and feedback as safe HTML from Markdown.
        document["checks"] = shown_checks(document["checks"], lab)
        document["feedback_html"] = feedback_html(document["feedback"], lab)
        # What the page needs for the unlock toast and the EXP counter.
        catalogue = get_catalogue()
        found = [catalogue.achievement(a) for a in achievements]
        document["unlocked"] = [
            {"id": a.id, "title": a.title, "icon": a.icon} for a in found if a is not None
        ]
        document["exp_total"] = exp_total(get_db(), g.user)
    chart = chart_panels(submission.analysis) if submission.is_final else []
    if chart:
        url = url_for(".submission_chart", submission_id=submission.id)
        narrow = url_for(".submission_chart", submission_id=submission.id, layout="narrow")
        document["chart"] = {"url": url, "narrow_url": narrow, "alt": chart_summary(chart, lab)}
    return document


@bp.get("/submissions/<int:submission_id>/status")
@login_required
def submission_status(submission_id: int):
    submission = service.find_submission(get_db(), g.user, submission_id)
    if submission is None:
        abort(404)
    lab = get_catalogue().lab(submission.course_id, submission.lab_id)
    if lab is None:
        abort(404)
    document = _status_of(submission, lab)
    if document["final"]:
        document["progress_html"] = _progress_html(lab)
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/submissions/<int:submission_id>/events")
@login_required
def submission_events(submission_id: int):
    """The student's own submission's statuses as server-sent events (portal.labs.push);
    503 when this worker streams to as many pages as it may: the page polls instead."""
    submission = service.find_submission(get_db(), g.user, submission_id)
    lab = get_catalogue().lab(submission.course_id, submission.lab_id) if submission else None
    if submission is None or lab is None:
        abort(404)
    release = push.take_stream_slot()
    if release is None:
        response = jsonify(error="Too many pages are waiting here: polling instead.")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    queue = get_queue(lab.queue_name)
    user_id, tenant_id = g.user.id, g.user.tenant_id
    stored = {"status": submission.status}

    def check(reload: bool) -> tuple[str, bool] | None:
        session = get_db()
        try:
            if reload:
                found = session.scalar(
                    select(Submission.status).where(
                        Submission.id == submission_id,
                        Submission.user_id == user_id,
                        Submission.tenant_id == tenant_id,
                    )
                )
                if found is None:
                    return None
                stored["status"] = found
            status, _ = live_status_of(submission_id, stored["status"], queue)
            return status, stored["status"] == SubmissionStatus.GRADED
        finally:
            session.rollback()  # no connection is held while the stream waits

    key = (str(tenant_id), str(submission_id))
    stream = push.follow(push.get_listener(), key, check, left=push.client_left(request.environ))
    response = current_app.response_class(stream_with_context(stream), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # a proxy passes each event on at once
    response.call_on_close(release)
    return response


def _progress_html(lab: Lab) -> str:
    """What the verdict changed on the lab page (its "passed" mark, "Back to step N to
    complete it", the course bar), drawn by the page's own template for lab-status.js to
    swap in without a reload."""
    course = get_catalogue().course(lab.course_id)
    parts = get_template_attribute("labs/_progress.html", "progress_parts")
    progress = course_progress(get_db(), g.user, course)
    return str(parts(course, lab, course.step_of_lab(lab.id), progress))


@bp.get("/submissions/<int:submission_id>/chart.svg")
@login_required
def submission_chart(submission_id: int):
    submission = service.find_submission(get_db(), g.user, submission_id)
    chart = chart_panels(submission.analysis) if submission is not None else []
    if not chart:
        abort(404)
    narrow = request.args.get("layout") == "narrow"  # a phone's <picture> source
    lab = get_catalogue().lab(submission.course_id, submission.lab_id)
    svg = render_chart_svg(chart, narrow=narrow, lab=lab)
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, the SVG is a document of its own: it may run nothing at all.
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
