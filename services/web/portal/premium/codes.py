"""Premium codes: making them, redeeming them, disabling them.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I), shown as
`XXXX-XXXX-XXXX`: 60 random bits, so guessing one is hopeless, and a student may type it
in any case, with or without dashes and spaces. A code grants premium to up to
`max_uses` people, until its `until` date (after which it is void), for one course or
every course. The use counter is claimed with one conditional UPDATE, so two students
racing for the last use cannot both win.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.models import (
    AuditEvent,
    CodeRedemption,
    Entitlement,
    GrantSource,
    PremiumCode,
    School,
    User,
    utc_now,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 bits each
CODE_GROUPS, GROUP_LENGTH = 3, 4
MAX_CODES_PER_BATCH = 1000
# Failed redemptions a student may make in an hour before we stop listening: enough for
# typos, far too few to guess a 60-bit code.
FAILED_REDEMPTIONS_PER_HOUR = 10
REFUSED_ACTION = "premium.redemption_refused"


class RedemptionRefused(Exception):
    """The code cannot be redeemed; the message says why, for the student."""


class RedemptionThrottled(RedemptionRefused):
    """Too many failed attempts lately."""


class CodeNotFound(LookupError):
    """No code with that id at this school."""


def generate_code() -> str:
    """A fresh random code, `XXXX-XXXX-XXXX`."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * GROUP_LENGTH))
    return _grouped(symbols)


def normalise_code(typed: str) -> str:
    """The code as stored, from what a student typed (any case, dashes, spaces)."""
    symbols = "".join(ch for ch in typed.upper() if ch.isalnum())
    return _grouped(symbols) if len(symbols) == CODE_GROUPS * GROUP_LENGTH else symbols


def _grouped(symbols: str) -> str:
    return "-".join(
        symbols[start : start + GROUP_LENGTH] for start in range(0, len(symbols), GROUP_LENGTH)
    )


def create_codes(
    session: Session,
    school: School,
    actor: User | None,
    *,
    count: int,
    max_uses: int = 1,
    until: datetime | None = None,
    course_id: str | None = None,
    note: str = "",
) -> list[PremiumCode]:
    """Make `count` new codes at `school`; commits. The audit event holds no code."""
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ValueError(f"count must be between 1 and {MAX_CODES_PER_BATCH}")
    if max_uses < 1:
        raise ValueError("max_uses must be at least 1")
    existing = set(
        session.scalars(select(PremiumCode.code).where(PremiumCode.tenant_id == school.id))
    )
    fresh: set[str] = set()
    while len(fresh) < count:  # a collision among 2**60 codes is a formality, but cheap
        candidate = generate_code()
        if candidate not in existing:
            fresh.add(candidate)
    codes = [
        PremiumCode(
            tenant_id=school.id,
            code=code,
            course_id=course_id,
            max_uses=max_uses,
            until=until,
            note=note,
            created_by_id=actor.id if actor else None,
        )
        for code in sorted(fresh)
    ]
    session.add_all(codes)
    session.flush()
    record_action(
        session,
        school,
        actor,
        "premium.codes_created",
        f"school:{school.id}",
        count=count,
        max_uses=max_uses,
        course=course_id,
        until=until.isoformat() if until else None,
        note=note,
        first_id=codes[0].id,
        last_id=codes[-1].id,
    )
    session.commit()
    return codes


def list_codes(session: Session, school: School) -> list[PremiumCode]:
    """The school's codes, newest first."""
    query = select(PremiumCode).where(PremiumCode.tenant_id == school.id)
    return list(
        session.scalars(query.order_by(PremiumCode.created_at.desc(), PremiumCode.id.desc()))
    )


def disable_code(session: Session, school: School, actor: User | None, code_id: int) -> PremiumCode:
    """Make a code unredeemable from now on (premium it granted stays); commits."""
    code = session.scalars(
        select(PremiumCode).where(PremiumCode.id == code_id, PremiumCode.tenant_id == school.id)
    ).first()
    if code is None:
        raise CodeNotFound(code_id)
    if code.disabled_at is None:
        code.disabled_at = utc_now()
        record_action(session, school, actor, "premium.code_disabled", f"code:{code.id}")
        session.commit()
    return code


@dataclass(frozen=True)
class CodeState:
    """What the admin's list says about a code."""

    label: str  # active, disabled, expired, used up
    left: int  # uses left


def code_state(code: PremiumCode, now: datetime | None = None) -> CodeState:
    """Whether `code` can still be redeemed, and how many uses it has left."""
    now = now or utc_now()
    left = max(code.max_uses - code.uses, 0)
    if code.disabled_at is not None:
        return CodeState("disabled", left)
    if code.until is not None and code.until <= now:
        return CodeState("expired", left)
    if left == 0:
        return CodeState("used up", 0)
    return CodeState("active", left)


def codes_csv(codes: Iterable[PremiumCode]) -> str:
    """The codes as CSV, for printing or mailing out."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "course", "max_uses", "uses", "left", "until", "status", "note"])
    for code in codes:
        state = code_state(code)
        until = code.until.date().isoformat() if code.until else ""
        writer.writerow(
            [
                code.code,
                code.course_id or "all",
                code.max_uses,
                code.uses,
                state.left,
                until,
                state.label,
                code.note,
            ]
        )
    return out.getvalue()


def failed_redemptions(session: Session, user: User, now: datetime | None = None) -> int:
    """How many redemptions `user` got refused in the last hour."""
    since = (now or utc_now()) - timedelta(hours=1)
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.tenant_id == user.tenant_id,
            AuditEvent.actor_id == user.id,
            AuditEvent.action == REFUSED_ACTION,
            AuditEvent.created_at > since,
        )
    )


def redeem_code(
    session: Session, school: School, user: User, typed: str, now: datetime | None = None
) -> Entitlement:
    """Redeem `typed` for `user`: one use claimed, a CodeRedemption and an Entitlement
    written in one transaction; commits. Raises RedemptionRefused with the reason, after
    which nothing but the refusal (counted against guessing) is stored."""
    now = now or utc_now()
    if failed_redemptions(session, user, now) >= FAILED_REDEMPTIONS_PER_HOUR:
        raise RedemptionThrottled(
            "Too many codes that did not work in the last hour. Try again later, or ask "
            "your school's admin."
        )
    canonical = normalise_code(typed)
    code = session.scalars(
        select(PremiumCode).where(PremiumCode.tenant_id == school.id, PremiumCode.code == canonical)
    ).first()
    problem = _why_not_redeemable(session, code, user, now)
    if problem is None:
        try:
            return _claim(session, school, user, code)
        except _LastUseTaken:
            problem = "This code has been used up."
        except IntegrityError:  # the same student redeemed it twice at once
            session.rollback()
            problem = "You have already redeemed this code."
    _refuse(session, school, user, code, problem)


class _LastUseTaken(Exception):
    pass


def _why_not_redeemable(
    session: Session, code: PremiumCode | None, user: User, now: datetime
) -> str | None:
    if code is None:
        return "There is no such code at this school. Check it for typos."
    if code.disabled_at is not None:
        return "This code has been disabled."
    if code.until is not None and code.until <= now:
        return f"This code expired on {code.until.date().isoformat()}."
    redeemed = session.scalars(
        select(CodeRedemption.id).where(
            CodeRedemption.code_id == code.id, CodeRedemption.user_id == user.id
        )
    ).first()
    if redeemed is not None:
        return "You have already redeemed this code."
    if code.uses >= code.max_uses:
        return "This code has been used up."
    return None


def _claim(session: Session, school: School, user: User, code: PremiumCode) -> Entitlement:
    claimed = session.execute(
        update(PremiumCode)
        .where(PremiumCode.id == code.id, PremiumCode.uses < PremiumCode.max_uses)
        .values(uses=PremiumCode.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.rollback()
        raise _LastUseTaken()
    grant = Entitlement(
        tenant_id=school.id,
        user_id=user.id,
        course_id=code.course_id,
        source=GrantSource.CODE.value,
        code_id=code.id,
        granted_by_id=code.created_by_id,
        reason=f"redeemed code #{code.id}" + (f" ({code.note})" if code.note else ""),
        until=code.until,
    )
    session.add(grant)
    session.flush()
    session.add(
        CodeRedemption(
            tenant_id=school.id, code_id=code.id, user_id=user.id, entitlement_id=grant.id
        )
    )
    record_action(
        session, school, user, "premium.code_redeemed", f"code:{code.id}", entitlement=grant.id
    )
    session.commit()
    session.refresh(code)
    return grant


def _refuse(session: Session, school: School, user: User, code: PremiumCode | None, problem: str):
    # Recorded (and counted against guessing) in its own little transaction; the code
    # typed is not stored: it might be a real code of someone else.
    record_action(
        session,
        school,
        user,
        REFUSED_ACTION,
        f"user:{user.id}",
        code=code.id if code else None,
        why=problem,
    )
    session.commit()
    raise RedemptionRefused(problem)
