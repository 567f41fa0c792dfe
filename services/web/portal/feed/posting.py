"""Writing on the Holo-Net: posts, comments, reactions, shares, deleting one's own, pins.

Each function checks what the member may do (trust.py), stores the Markdown together
with its sanitised HTML (so reads never render), tells the people concerned
(announcements.py) and commits. Errors are domain exceptions the views turn into 403,
404, 422 or 429; lookups go through the request's scoped session, so another school's
id is simply not found.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.bidi import strip_bidi
from portal.catalogue.catalogue import Catalogue
from portal.feed import announcements
from portal.feed.trust import (
    TrustPolicy,
    check_may_comment,
    check_may_post,
    check_not_suspended,
)
from portal.gamification.service import held_achievements
from portal.models import Comment, Post, Reaction, School, User
from portal.rendering import render_user_markdown

TITLE_MAX, BODY_MAX, COMMENT_MAX, NOTE_MAX = 200, 10_000, 3_000, 500
REACTION_KINDS = {"like": "Like", "insight": "Insightful", "celebrate": "Celebrate"}


class PostRefused(Exception):
    """The text cannot be stored as given; `field` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotYours(Exception):
    """Only the author may do this to their post or comment."""


class AlreadyShared(Exception):
    """The member shared this achievement on the Holo-Net before."""


class UnknownAchievement(LookupError):
    """No such achievement, or the member does not hold it."""


def find_post(session: Session, school: School, post_id: int) -> Post | None:
    """The school's post with this id; another school's is missing."""
    return session.scalars(
        select(Post).where(Post.id == post_id, Post.tenant_id == school.id)
    ).one_or_none()


def find_comment(session: Session, school: School, comment_id: int) -> Comment | None:
    """The school's comment with this id; another school's is missing."""
    return session.scalars(
        select(Comment).where(Comment.id == comment_id, Comment.tenant_id == school.id)
    ).one_or_none()


def _checked_text(field: str, text: str | None, maximum: int, what: str) -> str:
    # Stripped here too (the flush strips anyway) so a text of controls alone is empty.
    text = strip_bidi(text or "").strip()
    if not text:
        raise PostRefused(field, f"Write {what}: it cannot be empty.")
    if len(text) > maximum:
        raise PostRefused(
            field, f"{what.capitalize()} has at most {maximum} characters (it has {len(text)})."
        )
    return text


def create_post(
    session: Session,
    author: User,
    title: str,
    body: str,
    policy: TrustPolicy,
    now: datetime,
) -> Post:
    """Store a member's post (committed)."""
    title = " ".join(strip_bidi(title or "").split())
    title = _checked_text("title", title, TITLE_MAX, "a title")
    body = _checked_text("body", body, BODY_MAX, "the post")
    check_may_post(session, author, policy, now)
    post = Post(
        tenant_id=author.tenant_id,
        author_id=author.id,
        kind="post",
        title=title,
        body_markdown=body,
        body_html=render_user_markdown(body),
        created_at=now,
    )
    session.add(post)
    session.commit()
    return post


def add_comment(
    session: Session,
    author: User,
    post: Post,
    body: str,
    policy: TrustPolicy,
    now: datetime,
    parent: Comment | None = None,
) -> Comment:
    """Store a comment under `post` (a reply when `parent` is given); committed."""
    body = _checked_text("body", body, COMMENT_MAX, "the comment")
    if post.hidden_at is not None:
        raise PostRefused("body", "This post is hidden: it takes no new comments.")
    if parent is not None and parent.post_id != post.id:
        raise PostRefused("parent", "You can only reply to a comment of this post.")
    check_may_comment(session, author, policy, now)
    # Replies stay one level deep: a reply to a reply answers the same thread.
    if parent is not None and parent.parent_id is not None:
        parent = session.get(Comment, parent.parent_id) or parent
    comment = Comment(
        tenant_id=author.tenant_id,
        post_id=post.id,
        parent_id=parent.id if parent is not None else None,
        author_id=author.id,
        body_markdown=body,
        body_html=render_user_markdown(body),
        created_at=now,
    )
    session.add(comment)
    post.comment_count += 1
    session.flush()
    announcements.comment_added(session, author, post, comment, parent)
    session.commit()
    return comment


def toggle_reaction(session: Session, user: User, post: Post, kind: str, now: datetime) -> bool:
    """Add the member's reaction of `kind` to `post`, or take it back; True when added."""
    if kind not in REACTION_KINDS:
        raise PostRefused("kind", f"Choose a reaction: {', '.join(REACTION_KINDS)}.")
    check_not_suspended(user, now)
    existing = session.scalars(
        select(Reaction).where(
            Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind
        )
    ).one_or_none()
    if existing is not None:
        session.delete(existing)
        session.commit()
        return False
    session.add(
        Reaction(
            tenant_id=user.tenant_id, post_id=post.id, user_id=user.id, kind=kind, created_at=now
        )
    )
    announcements.reaction_added(session, user, post)
    session.commit()
    return True


def delete_own_post(session: Session, user: User, post: Post, now: datetime) -> None:
    """Hide the author's own post (kept for moderation, shown as hidden)."""
    if post.author_id != user.id:
        raise NotYours("Only the author can delete this post.")
    if post.hidden_at is None:
        post.hidden_at, post.hidden_by_id = now, user.id
        session.commit()


def delete_own_comment(session: Session, user: User, comment: Comment, now: datetime) -> None:
    """Hide the author's own comment."""
    if comment.author_id != user.id:
        raise NotYours("Only the author can delete this comment.")
    if comment.hidden_at is None:
        comment.hidden_at, comment.hidden_by_id = now, user.id
        session.commit()


def set_pinned(session: Session, school: School, actor: User, post: Post, pinned: bool) -> None:
    """Pin a post to the top of the feed, or unpin it; audited and committed."""
    if post.pinned == pinned:
        return
    post.pinned = pinned
    action = "feed.pinned" if pinned else "feed.unpinned"
    record_action(session, school, actor, action, f"post:{post.id}")
    session.commit()


def share_achievement(
    session: Session,
    user: User,
    catalogue: Catalogue,
    achievement_id: str,
    note: str,
    policy: TrustPolicy,
    now: datetime,
) -> Post:
    """Post the member's own unlocked achievement, once; `note` is their optional words."""
    achievement = catalogue.achievement(achievement_id or "")
    if achievement is None or achievement.id not in held_achievements(session, user):
        raise UnknownAchievement(achievement_id)
    note = strip_bidi(note or "").strip()
    if len(note) > NOTE_MAX:
        raise PostRefused("note", f"A note has at most {NOTE_MAX} characters (it has {len(note)}).")
    shared = session.scalar(
        select(Post.id).where(
            Post.author_id == user.id,
            Post.kind == "achievement",
            Post.achievement_id == achievement.id,
        )
    )
    if shared is not None:
        raise AlreadyShared(f"You already shared “{achievement.title}” on the Holo-Net.")
    check_may_post(session, user, policy, now)
    body = f"{achievement.description}\n\n{note}" if note else achievement.description
    post = Post(
        tenant_id=user.tenant_id,
        author_id=user.id,
        kind="achievement",
        achievement_id=achievement.id,
        title=f"Unlocked: {achievement.title}"[:TITLE_MAX],
        body_markdown=body,
        body_html=render_user_markdown(body),
        created_at=now,
    )
    session.add(post)
    session.commit()
    return post
