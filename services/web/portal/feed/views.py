"""The Holo-Net's pages for members: the feed, a post's page, writing, reacting, flagging.

Views parse the form, call a service and answer; refusals keep what was typed (422 for
bad input, 403 while suspended, 429 over the hourly limit, 409 for a second flag).
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from portal.auth.access import is_safe_next, login_required, staff_required
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db
from portal.feed import moderation, moderation_views, posting, reading  # noqa: F401 (routes)
from portal.feed.blueprint import bp
from portal.feed.forms import CommentForm, FlagForm, PostForm, ReactionForm, ShareForm
from portal.feed.trust import PostingSuspended, PostingThrottled, TrustPolicy
from portal.models import Comment, Post, utc_now
from portal.tenancy import current_school

__all__ = ["bp"]


def _policy() -> TrustPolicy:
    return TrustPolicy.from_config(current_app.config)


def _post_or_404(post_id: int) -> Post:
    post = posting.find_post(get_db(), current_school(), post_id)
    if post is None:
        abort(404)
    return post


def _comment_or_404(comment_id: int) -> Comment:
    comment = posting.find_comment(get_db(), current_school(), comment_id)
    if comment is None:
        abort(404)
    return comment


def _refusal_status(error: Exception) -> int:
    if isinstance(error, PostingSuspended):
        return 403
    if isinstance(error, PostingThrottled):
        return 429
    return 422


@bp.get("/")
@login_required
def index():
    page = reading.feed_page(
        get_db(), current_school(), g.user, request.args.get("page", 1, type=int)
    )
    return render_template("feed/index.html", page=page, reaction_kinds=posting.REACTION_KINDS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_post():
    form = PostForm()
    status = 200
    if form.is_submitted():
        try:
            post = posting.create_post(
                get_db(), g.user, form.title.data, form.body.data, _policy(), utc_now()
            )
        except posting.PostRefused as error:
            field = getattr(form, error.field)
            field.errors = [*field.errors, str(error)]
            status = 422
        except (PostingSuspended, PostingThrottled) as error:
            flash(str(error), "error")
            status = _refusal_status(error)
        else:
            return redirect(url_for(".post_page", post_id=post.id))
    return render_template("feed/new.html", form=form), status


def render_post_page(post: Post, status: int = 200, comment_form: CommentForm | None = None):
    """The post's page; `comment_form` carries a refused comment back to its author."""
    session = get_db()
    flags = moderation.open_flag_counts(session, post) if g.user.role != "student" else {}
    page = render_template(
        "feed/post.html",
        shown=reading.shown_post(session, g.user, post),
        thread=reading.thread_of(session, post),
        comment_form=comment_form or CommentForm(formdata=None),
        reaction_kinds=posting.REACTION_KINDS,
        open_flags=flags,
    )
    return page, status


@bp.get("/posts/<int:post_id>")
@login_required
def post_page(post_id: int):
    return render_post_page(_post_or_404(post_id))


@bp.post("/posts/<int:post_id>/comments")
@login_required
def add_comment(post_id: int):
    post = _post_or_404(post_id)
    form = CommentForm()
    parent = None
    if (form.parent_id.data or "").isdigit():
        parent = _comment_or_404(int(form.parent_id.data))
    try:
        comment = posting.add_comment(
            get_db(), g.user, post, form.body.data, _policy(), utc_now(), parent
        )
    except posting.PostRefused as error:
        form.body.errors = [*form.body.errors, str(error)]
        return render_post_page(post, 422, form)
    except (PostingSuspended, PostingThrottled) as error:
        flash(str(error), "error")
        return render_post_page(post, _refusal_status(error), form)
    return redirect(url_for(".post_page", post_id=post.id, _anchor=f"comment-{comment.id}"))


@bp.post("/posts/<int:post_id>/reactions")
@login_required
def react(post_id: int):
    post = _post_or_404(post_id)
    form = ReactionForm()
    try:
        posting.toggle_reaction(get_db(), g.user, post, form.kind.data or "", utc_now())
    except (posting.PostRefused, PostingSuspended) as error:
        flash(str(error), "error")
        return render_post_page(post, _refusal_status(error))
    back = form.next.data if is_safe_next(form.next.data) else None
    return redirect(back or url_for(".post_page", post_id=post.id))


@bp.post("/posts/<int:post_id>/flag")
@login_required
def flag_post(post_id: int):
    return _flag(_post_or_404(post_id), None)


@bp.post("/comments/<int:comment_id>/flag")
@login_required
def flag_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    return _flag(_post_or_404(comment.post_id), comment)


def _flag(post: Post, comment: Comment | None):
    form = FlagForm()
    try:
        moderation.flag_item(get_db(), g.user, post, comment, form.reason.data, utc_now())
    except moderation.AlreadyFlagged as error:
        flash(str(error), "error")
        return render_post_page(post, 409)
    except moderation.ModerationRefused as error:
        flash(str(error), "error")
        return render_post_page(post, 422)
    flash("Thank you: the moderators will review it.", "success")
    return redirect(url_for(".post_page", post_id=post.id))


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete_post(post_id: int):
    post = _post_or_404(post_id)
    try:
        posting.delete_own_post(get_db(), g.user, post, utc_now())
    except posting.NotYours:
        abort(403)
    flash("Your post is deleted.", "success")
    return redirect(url_for(".index"))


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    comment = _comment_or_404(comment_id)
    try:
        posting.delete_own_comment(get_db(), g.user, comment, utc_now())
    except posting.NotYours:
        abort(403)
    flash("Your comment is deleted.", "success")
    return redirect(url_for(".post_page", post_id=comment.post_id))


@bp.post("/posts/<int:post_id>/pin")
@staff_required
def pin_post(post_id: int):
    posting.set_pinned(get_db(), current_school(), g.user, _post_or_404(post_id), True)
    flash("The post is pinned to the top of the feed.", "success")
    return redirect(url_for(".post_page", post_id=post_id))


@bp.post("/posts/<int:post_id>/unpin")
@staff_required
def unpin_post(post_id: int):
    posting.set_pinned(get_db(), current_school(), g.user, _post_or_404(post_id), False)
    flash("The post is no longer pinned.", "success")
    return redirect(url_for(".post_page", post_id=post_id))


@bp.route("/share", methods=["GET", "POST"])
@login_required
def share_achievement():
    form = ShareForm()
    if request.method == "GET":
        form.achievement.data = request.args.get("achievement", "")
    achievement = get_catalogue().achievement(form.achievement.data or "")
    if request.method == "GET" or achievement is None:
        if achievement is None:
            abort(404)
        return render_template("feed/share.html", form=form, achievement=achievement)
    try:
        post = posting.share_achievement(
            get_db(),
            g.user,
            get_catalogue(),
            achievement.id,
            form.note.data,
            _policy(),
            utc_now(),
        )
    except posting.UnknownAchievement:
        abort(404)
    except posting.PostRefused as error:
        form.note.errors = [*form.note.errors, str(error)]
        status = 422
    except (posting.AlreadyShared, PostingSuspended, PostingThrottled) as error:
        flash(str(error), "error")
        status = 422 if isinstance(error, posting.AlreadyShared) else _refusal_status(error)
    else:
        flash(f"You shared “{achievement.title}” on the Holo-Net.", "success")
        return redirect(url_for(".post_page", post_id=post.id))
    page = render_template("feed/share.html", form=form, achievement=achievement)
    return page, status
