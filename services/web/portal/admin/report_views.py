"""Error reports for the staff: the list, and marking one resolved or open again."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from portal.admin.blueprint import bp
from portal.admin.forms import ActionForm
from portal.auth.access import staff_required
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db
from portal.reports import service
from portal.tenancy import current_school


@bp.get("/reports")
@staff_required
def reports_list():
    page = service.list_reports(get_db(), current_school(), request.args.get("page", 1, type=int))
    return render_template(
        "admin/reports.html", page=page, catalogue=get_catalogue(), action_form=ActionForm()
    )


@bp.post("/reports/<int:report_id>/resolve")
@staff_required
def resolve_report(report_id: int):
    return _set_resolved(report_id, resolved=True)


@bp.post("/reports/<int:report_id>/reopen")
@staff_required
def reopen_report(report_id: int):
    return _set_resolved(report_id, resolved=False)


def _set_resolved(report_id: int, resolved: bool):
    report = service.find_report(get_db(), current_school(), report_id)
    if report is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.set_resolved(get_db(), current_school(), g.user, report, resolved)
    flash(f"Report #{report.id} is {report.status}.", "success")
    return redirect(url_for(".reports_list"))
