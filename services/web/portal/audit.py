"""The audit log: one call records who did what to whom, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.models import AuditEvent, School, User


def record_action(
    session: Session,
    school: School,
    actor: User | None,
    action: str,
    target: str = "",
    **detail: Any,
) -> AuditEvent:
    """Add an audit event (committed with the change it describes); `actor` None is the CLI.

    `detail` must never hold a secret: no password, token or code a user could redeem.
    """
    event = AuditEvent(
        tenant_id=school.id,
        actor_id=actor.id if actor else None,
        action=action,
        target=target,
        detail=detail,
    )
    session.add(event)
    return event
