"""Flags and the staff's review of them: hide, restore, dismiss, suspend the author.

Anyone logged in may flag an item once. Staff review open flags grouped by item; every
decision resolves the item's open flags with its outcome, is written to the audit log
(`moderation.*`, which the queue page shows) and commits with the change it describes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from portal.audit import record_action
from portal.feed import announcements
from portal.feed.trust import is_staff
from portal.models import AuditEvent, Comment, Flag, Post, Role, School, User
from portal.notifications.service import notify

REASON_MAX = 500
SUSPENSION_DAYS = range(1, 91)
ACTIONS = ("hide", "restore", "dismiss", "suspend")
LOG_LENGTH = 50


class AlreadyFlagged(Exception):
    """The member flagged this item before."""


class ModerationRefused(Exception):
    """The moderation action is not allowed as asked; the text says why."""


@dataclass
class FlaggedItem:
    """One flagged post or comment with its open flags, for the review queue."""

    post: Post
    comment: Comment | None
    author: User | None
    reasons: list[str] = field(default_factory=list)
    count: int = 0

    @property
    def target(self) -> str:
        return f"comment:{self.comment.id}" if self.comment else f"post:{self.post.id}"


@dataclass(frozen=True)
class LoggedAction:
    """One line of the moderation log."""

    event: AuditEvent
    actor_name: str


def flag_item(
    session: Session,
    reporter: User,
    post: Post,
    comment: Comment | None,
    reason: str,
    now: datetime,
) -> Flag:
    """Flag a post, or a comment of it, for review; once per item and member."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ModerationRefused(f"A reason has at most {REASON_MAX} characters.")
    item = (Flag.comment_id == comment.id) if comment else (Flag.post_id == post.id)
    if session.scalar(select(Flag.id).where(item, Flag.reporter_id == reporter.id)):
        raise AlreadyFlagged("You flagged this already; the moderators will look at it.")
    flag = Flag(
        tenant_id=reporter.tenant_id,
        post_id=None if comment else post.id,
        comment_id=comment.id if comment else None,
        reporter_id=reporter.id,
        reason=reason,
        created_at=now,
    )
    session.add(flag)
    try:
        session.commit()
    except IntegrityError as error:  # the same member flagged it twice at once
        session.rollback()
        raise AlreadyFlagged("You flagged this already.") from error
    return flag


def review_queue(session: Session, school: School) -> list[FlaggedItem]:
    """Open flags grouped by item, most flagged first (a constant number of queries)."""
    flags = session.scalars(
        select(Flag)
        .where(Flag.tenant_id == school.id, Flag.resolved_at.is_(None))
        .order_by(Flag.created_at)
    ).all()
    comment_ids = {flag.comment_id for flag in flags if flag.comment_id}
    comments = {
        c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))
    }
    post_ids = {flag.post_id for flag in flags if flag.post_id}
    post_ids |= {c.post_id for c in comments.values()}
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))}
    author_ids = {p.author_id for p in posts.values()} | {c.author_id for c in comments.values()}
    authors = {u.id: u for u in session.scalars(select(User).where(User.id.in_(author_ids)))}
    items: dict[tuple[int | None, int | None], FlaggedItem] = {}
    for flag in flags:
        comment = comments.get(flag.comment_id) if flag.comment_id else None
        post = posts.get(comment.post_id if comment else flag.post_id)
        if post is None:
            continue
        key = (flag.post_id, flag.comment_id)
        if key not in items:
            author_id = comment.author_id if comment else post.author_id
            items[key] = FlaggedItem(post, comment, authors.get(author_id))
        items[key].count += 1
        if flag.reason:
            items[key].reasons.append(flag.reason)
    return sorted(items.values(), key=lambda item: -item.count)


def moderation_log(session: Session, school: School) -> list[LoggedAction]:
    """The latest moderation actions, newest first, with who took them."""
    actor = aliased(User)
    rows = session.execute(
        select(AuditEvent, actor)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(AuditEvent.tenant_id == school.id, AuditEvent.action.like("moderation.%"))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(LOG_LENGTH)
    ).all()
    return [LoggedAction(event, who.display_name if who else "Command line") for event, who in rows]


def moderate(
    session: Session,
    school: School,
    moderator: User,
    post: Post,
    comment: Comment | None,
    action: str,
    now: datetime,
    days: int | None = None,
) -> str:
    """Take `action` on the item and resolve its open flags; returns what was done."""
    item = comment if comment is not None else post
    target = f"comment:{comment.id}" if comment is not None else f"post:{post.id}"
    author = session.get(User, item.author_id) if item.author_id is not None else None
    if action == "hide":
        _hide(session, school, moderator, post, comment, author, target, now)
        outcome, done = "hidden", "The item is hidden."
    elif action == "restore":
        item.hidden_at, item.hidden_by_id = None, None
        record_action(session, school, moderator, "moderation.restored", target)
        outcome, done = "restored", "The item is shown again."
    elif action == "dismiss":
        record_action(session, school, moderator, "moderation.dismissed", target)
        outcome, done = "kept", "The flags are dismissed; the item stays."
    elif action == "suspend":
        until = _suspend(session, school, moderator, author, target, now, days)
        _hide(session, school, moderator, post, comment, author, target, now)
        outcome = "author_suspended"
        done = f"The item is hidden and its author suspended until {until:%Y-%m-%d}."
    else:
        raise ModerationRefused("Choose hide, restore, dismiss or suspend.")
    item_flag = (Flag.comment_id == comment.id) if comment else (Flag.post_id == post.id)
    session.execute(
        update(Flag)
        .where(item_flag, Flag.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=moderator.id, outcome=outcome)
    )
    session.commit()
    return done


def _hide(
    session: Session,
    school: School,
    moderator: User,
    post: Post,
    comment: Comment | None,
    author: User | None,
    target: str,
    now: datetime,
) -> None:
    item = comment if comment is not None else post
    if item.hidden_at is None or item.hidden_by_id == item.author_id:
        item.hidden_at, item.hidden_by_id = now, moderator.id
    record_action(session, school, moderator, "moderation.hidden", target)
    if author is not None and author.id != moderator.id:
        announcements.item_hidden(session, author, post, comment)


def _suspend(
    session: Session,
    school: School,
    moderator: User,
    author: User | None,
    target: str,
    now: datetime,
    days: int | None,
) -> datetime:
    if days not in SUSPENSION_DAYS:
        raise ModerationRefused("Suspend for 1 to 90 days.")
    if author is None:
        raise ModerationRefused("This item has no author to suspend.")
    if author.id == moderator.id:
        raise ModerationRefused("You cannot suspend yourself.")
    if is_staff(author) and moderator.role == Role.INSTRUCTOR.value:
        raise ModerationRefused("Only an admin can suspend a member of staff.")
    until = now + timedelta(days=days)
    author.posting_suspended_until = until
    record_action(
        session,
        school,
        moderator,
        "moderation.suspended",
        f"user:{author.id}",
        days=days,
        until=until.isoformat(),
        item=target,
    )
    notify(
        session,
        author,
        "moderation",
        f"A moderator suspended you from posting on the Holo-Net until {until:%Y-%m-%d %H:%M} UTC.",
        "/feed/",
    )
    return until


def open_flag_counts(session: Session, post: Post) -> dict[tuple[str, int], int]:
    """Open flags of a post and its comments, by ("post"|"comment", id), for staff."""
    rows = session.execute(
        select(Flag.post_id, Flag.comment_id)
        .outerjoin(Comment, Comment.id == Flag.comment_id)
        .where(
            Flag.resolved_at.is_(None),
            (Flag.post_id == post.id) | (Comment.post_id == post.id),
        )
    )
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for post_id, comment_id in rows:
        counts[("comment", comment_id) if comment_id else ("post", post_id)] += 1
    return dict(counts)
