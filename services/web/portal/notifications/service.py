"""Creating notifications; every feature that tells a user something calls `notify`.

A notification is plain text and a link inside the school's site. It is added to the
caller's session and committed with the change it announces, so a rolled-back action
never leaves a notification behind.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import Notification, User

MAX_MESSAGE = 300


def notify(session: Session, user: User, kind: str, message: str, link: str = "") -> Notification:
    """Tell `user` about something (`kind`: "reply", "reaction", "achievement", ...).

    `message` is shown as text (escaped), cut to fit; `link` must be a path on this site.
    """
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"a notification links inside the site, not to {link!r}")
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    notification = Notification(
        tenant_id=user.tenant_id, user_id=user.id, kind=kind, message=message, link=link
    )
    session.add(notification)
    return notification
