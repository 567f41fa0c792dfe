"""What the Holo-Net tells its members: comments, replies, reactions and hidden items.

Notifications are added to the caller's session and committed with the action, so a
failed action leaves none behind. Nobody is told about their own doings.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Comment, Notification, Post, User
from portal.notifications.service import notify


def post_link(post: Post) -> str:
    """The path of a post's page."""
    return f"/feed/posts/{post.id}"


def comment_link(comment: Comment) -> str:
    """The path of a comment, on its post's page."""
    return f"/feed/posts/{comment.post_id}#comment-{comment.id}"


def _title(post: Post) -> str:
    return post.title if len(post.title) <= 80 else post.title[:79] + "…"


def comment_added(
    session: Session, author: User, post: Post, comment: Comment, parent: Comment | None
) -> None:
    """Tell the parent comment's author of a reply, and the post's author of a comment."""
    told: set[int] = {author.id}
    if parent is not None and parent.author_id is not None and parent.author_id not in told:
        replied_to = session.get(User, parent.author_id)
        if replied_to is not None:
            message = f"{author.display_name} replied to your comment on “{_title(post)}”."
            notify(session, replied_to, "reply", message, comment_link(comment))
            told.add(replied_to.id)
    if post.author_id is not None and post.author_id not in told:
        post_author = session.get(User, post.author_id)
        if post_author is not None:
            message = f"{author.display_name} commented on your post “{_title(post)}”."
            notify(session, post_author, "comment", message, comment_link(comment))


def reaction_added(session: Session, reactor: User, post: Post) -> None:
    """Tell the post's author of a reaction: once per post and reactor, never their own.

    A notification has no reactor column, so the link names the reactor in its fragment
    (`#reactions-from-<id>`); an earlier notification with that link means "told already".
    """
    if post.author_id is None or post.author_id == reactor.id:
        return
    link = f"{post_link(post)}#reactions-from-{reactor.id}"
    told = session.scalar(
        select(Notification.id).where(
            Notification.user_id == post.author_id,
            Notification.kind == "reaction",
            Notification.link == link,
        )
    )
    if told is not None:
        return
    post_author = session.get(User, post.author_id)
    if post_author is not None:
        message = f"{reactor.display_name} reacted to your post “{_title(post)}”."
        notify(session, post_author, "reaction", message, link)


def item_hidden(session: Session, author: User, post: Post, comment: Comment | None) -> None:
    """Tell an author that a moderator hid their post or comment."""
    if comment is not None:
        message = f"A moderator hid your comment on “{_title(post)}”."
        notify(session, author, "moderation", message, comment_link(comment))
    else:
        message = f"A moderator hid your post “{_title(post)}”."
        notify(session, author, "moderation", message, post_link(post))
