"""The staff's review queue: open flags by item, the decisions, and the moderation log."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from portal.auth.access import staff_required
from portal.db import get_db
from portal.feed import moderation, posting
from portal.feed.blueprint import bp
from portal.feed.forms import ModerationForm
from portal.models import Comment, Post, utc_now
from portal.tenancy import current_school


@bp.get("/moderation")
@staff_required
def moderation_queue():
    return _render_queue()


def _render_queue(status: int = 200):
    session = get_db()
    page = render_template(
        "feed/moderation.html",
        items=moderation.review_queue(session, current_school()),
        log=moderation.moderation_log(session, current_school()),
        suspension_days=moderation.SUSPENSION_DAYS,
    )
    return page, status


@bp.post("/moderation/posts/<int:post_id>")
@staff_required
def moderate_post(post_id: int):
    post = posting.find_post(get_db(), current_school(), post_id)
    if post is None:
        abort(404)
    return _moderate(post, None)


@bp.post("/moderation/comments/<int:comment_id>")
@staff_required
def moderate_comment(comment_id: int):
    comment = posting.find_comment(get_db(), current_school(), comment_id)
    post = posting.find_post(get_db(), current_school(), comment.post_id) if comment else None
    if comment is None or post is None:
        abort(404)
    return _moderate(post, comment)


def _moderate(post: Post, comment: Comment | None):
    form = ModerationForm()
    try:
        done = moderation.moderate(
            get_db(),
            current_school(),
            g.user,
            post,
            comment,
            form.action.data or "",
            utc_now(),
            days=form.days.data if not form.days.errors else None,
        )
    except moderation.ModerationRefused as error:
        flash(str(error), "error")
        return _render_queue(422)
    flash(done, "success")
    back = request.form.get("back") == "post"
    return redirect(
        url_for(".post_page", post_id=post.id) if back else url_for(".moderation_queue")
    )
