"""The notifications page, opening one, and the bell's unread count in the header."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from portal.auth.access import login_required
from portal.db import get_db
from portal.notifications import inbox
from portal.notifications.forms import NotificationActionForm

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def notification_bell() -> dict:
    """`unread_notifications()`: the bell's count, one COUNT per page, only when logged in."""

    def unread() -> int:
        if g.get("user") is None:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = inbox.unread_count(get_db(), g.user)
        return g.unread_notifications

    return {"unread_notifications": unread}


@bp.get("/notifications")
@login_required
def notifications_page():
    page = inbox.list_notifications(get_db(), g.user, request.args.get("page", 1, type=int))
    return render_template(
        "notifications/list.html", page=page, action_form=NotificationActionForm()
    )


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if not NotificationActionForm().validate_on_submit():
        abort(400)
    count = inbox.mark_all_read(get_db(), g.user)
    flash(f"Marked {count} notification{'s' if count != 1 else ''} as read.", "success")
    return redirect(url_for(".notifications_page"))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    try:
        inbox.find_notification(get_db(), g.user, notification_id)
    except inbox.NotificationNotFound:
        abort(404)
    if not NotificationActionForm().validate_on_submit():
        abort(400)
    link = inbox.open_notification(get_db(), g.user, notification_id)
    return redirect(link or url_for(".notifications_page"))
