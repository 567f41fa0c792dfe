"""A user's own notifications: the list, the unread count, marking them read.

Every lookup names the owner as well as the id, and goes through the request's scoped
session, so another user's or another school's notification is simply not found (404).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.auth.access import is_safe_next
from portal.models import Notification, User, utc_now
from portal.paging import Page, paginate

PER_PAGE = 30


class NotificationNotFound(LookupError):
    """No notification of this user has that id."""


def list_notifications(session: Session, user: User, page: int = 1) -> Page:
    """The user's notifications, newest first, one page of them."""
    statement = (
        select(Notification)
        .where(Notification.tenant_id == user.tenant_id, Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(session, statement, page, per_page=PER_PAGE)


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread (one COUNT query, for the bell)."""
    count = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.tenant_id == user.tenant_id,
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
        )
    )
    return int(count or 0)


def find_notification(session: Session, user: User, notification_id: int) -> Notification:
    """The user's own notification with this id; raises NotificationNotFound."""
    notification = session.scalars(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.tenant_id == user.tenant_id,
            Notification.user_id == user.id,
        )
    ).one_or_none()
    if notification is None:
        raise NotificationNotFound(notification_id)
    return notification


def mark_read(session: Session, notification: Notification) -> None:
    """Mark one notification read (reading it again keeps the first time); commits."""
    if notification.read_at is None:
        notification.read_at = utc_now()
    session.commit()


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread notification of the user read; commits; how many there were."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == user.tenant_id,
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount or 0


def open_notification(session: Session, user: User, notification_id: int) -> str | None:
    """Mark the user's notification read; the path it leads to, or None if it has none.

    `notify` refuses links off the site, but the stored link is checked again here: a
    row written by other code (or by hand) must never turn "Open" into an open redirect.
    """
    notification = find_notification(session, user, notification_id)
    mark_read(session, notification)
    return notification.link if is_safe_next(notification.link) else None
