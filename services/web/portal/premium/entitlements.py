"""Who has premium, and the admin's grants and school-wide licences that give it.

Premium is resolved school -> course -> user: a school-wide licence for every course,
then one for this course, then a grant to the user (for every course or this one). The
first live entitlement found answers; revoked and expired ones count for nothing. Staff
always have access (they teach and review the premium material); guests never do.

Every change is a row (who granted, when, why, until; a revocation stamps
`revoked_at`) plus an audit event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.auth.service import find_user_by_email
from portal.models import Entitlement, GrantSource, Role, School, User, utc_now

STAFF_ROLES = frozenset({Role.INSTRUCTOR, Role.SCHOOL_ADMIN, Role.PLATFORM_ADMIN})


class UnknownAccount(LookupError):
    """No account with that email at this school."""


class GrantNotFound(LookupError):
    """No entitlement with that id at this school (or it is not revocable)."""


def live_entitlement_filter(now: datetime):
    """The SQL condition of an entitlement that grants something at `now`."""
    return (
        Entitlement.revoked_at.is_(None),
        or_(Entitlement.until.is_(None), Entitlement.until > now),
    )


def resolving_entitlement(
    session: Session, user: User, course_id: str | None, now: datetime | None = None
) -> Entitlement | None:
    """The entitlement that gives `user` premium in `course_id`, in resolution order.

    School licences come before course licences, which come before the user's own
    grants, so the answer names the broadest reason the user has access.
    """
    now = now or utc_now()
    course_matches = (
        or_(Entitlement.course_id.is_(None), Entitlement.course_id == course_id)
        if course_id is not None
        else Entitlement.course_id.is_(None)
    )
    order = case(
        (Entitlement.user_id.is_(None) & Entitlement.course_id.is_(None), 0),
        (Entitlement.user_id.is_(None), 1),
        else_=2,
    )
    query = (
        select(Entitlement)
        .where(
            Entitlement.tenant_id == user.tenant_id,
            or_(Entitlement.user_id.is_(None), Entitlement.user_id == user.id),
            course_matches,
            *live_entitlement_filter(now),
        )
        .order_by(order, Entitlement.id)
        .limit(1)
    )
    return session.scalars(query).first()


def has_premium(
    session: Session, user: User | None, course_id: str | None, now: datetime | None = None
) -> bool:
    """Whether `user` may use the premium parts of `course_id` at `now`."""
    if user is None:
        return False
    if user.role in STAFF_ROLES:
        return True
    return resolving_entitlement(session, user, course_id, now) is not None


def grant_to_user(
    session: Session,
    school: School,
    actor: User | None,
    email: str,
    until: datetime | None,
    reason: str,
    course_id: str | None = None,
) -> Entitlement:
    """Give the account `email` of `school` premium; commits. `actor` None is the CLI."""
    user = find_user_by_email(session, school, email)
    if user is None:
        raise UnknownAccount(f"No account with the email {email.strip()} at {school.name}.")
    grant = Entitlement(
        tenant_id=school.id,
        user_id=user.id,
        course_id=course_id,
        source=GrantSource.ADMIN.value,
        granted_by_id=actor.id if actor else None,
        reason=reason,
        until=until,
    )
    session.add(grant)
    session.flush()
    record_action(
        session,
        school,
        actor,
        "premium.granted",
        f"user:{user.id}",
        entitlement=grant.id,
        course=course_id,
        until=_iso(until),
        reason=reason,
    )
    session.commit()
    return grant


def active_licences(session: Session, school: School, now: datetime | None = None):
    """The school-wide licences in force now."""
    query = select(Entitlement).where(
        Entitlement.tenant_id == school.id,
        Entitlement.user_id.is_(None),
        *live_entitlement_filter(now or utc_now()),
    )
    return list(session.scalars(query.order_by(Entitlement.id)))


def turn_licence_on(
    session: Session,
    school: School,
    actor: User | None,
    until: datetime | None,
    reason: str,
    course_id: str | None = None,
) -> Entitlement:
    """Give everyone at `school` premium (in `course_id`, or every course); commits.

    A licence already in force for the same courses is replaced (revoked, kept in the
    history), so "extend until" is the same action as "turn on".
    """
    now = utc_now()
    for licence in active_licences(session, school, now):
        if licence.course_id == course_id:
            _revoke(licence, actor, now)
    licence = Entitlement(
        tenant_id=school.id,
        user_id=None,
        course_id=course_id,
        source=GrantSource.LICENCE.value,
        granted_by_id=actor.id if actor else None,
        reason=reason,
        until=until,
    )
    session.add(licence)
    session.flush()
    record_action(
        session,
        school,
        actor,
        "premium.licence_on",
        f"entitlement:{licence.id}",
        course=course_id,
        until=_iso(until),
        reason=reason,
    )
    session.commit()
    return licence


def turn_licence_off(session: Session, school: School, actor: User | None, reason: str) -> int:
    """Revoke every school-wide licence in force; commits. Returns how many ended."""
    now = utc_now()
    ended = active_licences(session, school, now)
    for licence in ended:
        _revoke(licence, actor, now)
    record_action(
        session,
        school,
        actor,
        "premium.licence_off",
        f"school:{school.id}",
        entitlements=[licence.id for licence in ended],
        reason=reason,
    )
    session.commit()
    return len(ended)


def revoke_grant(
    session: Session, school: School, actor: User | None, grant_id: int, reason: str = ""
) -> Entitlement:
    """End entitlement `grant_id` now; commits. Raises GrantNotFound for another school's id."""
    grant = session.scalars(
        select(Entitlement).where(Entitlement.id == grant_id, Entitlement.tenant_id == school.id)
    ).first()
    if grant is None:
        raise GrantNotFound(grant_id)
    if grant.revoked_at is None:
        _revoke(grant, actor, utc_now())
        record_action(
            session,
            school,
            actor,
            "premium.revoked",
            f"entitlement:{grant.id}",
            user=grant.user_id,
            reason=reason,
        )
        session.commit()
    return grant


def list_grants(session: Session, school: School) -> list[Entitlement]:
    """Every entitlement of `school`, newest first: active and past, for the admin page."""
    query = select(Entitlement).where(Entitlement.tenant_id == school.id)
    return list(
        session.scalars(query.order_by(Entitlement.created_at.desc(), Entitlement.id.desc()))
    )


def is_live(grant: Entitlement, now: datetime | None = None) -> bool:
    """Whether `grant` gives anything at `now` (neither revoked nor expired)."""
    now = now or utc_now()
    return grant.revoked_at is None and (grant.until is None or grant.until > now)


def _revoke(grant: Entitlement, actor: User | None, now: datetime) -> None:
    grant.revoked_at = now
    grant.revoked_by_id = actor.id if actor else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
