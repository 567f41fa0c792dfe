"""Accounts an operator creates: no password anyone knows, a link to set one instead.

A password printed on a terminal ends up in shell history and chat logs; a single-use,
expiring set-password link does not outlive its first use.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.auth.forms import EMAIL_SHAPE
from portal.auth.reset import issue_reset_token
from portal.auth.service import find_user_by_email
from portal.models import Role, School, User
from portal.security import hash_password

EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 80


class InvalidAccount(Exception):
    """The account is refused; `field` names the option or input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CreatedAccount:
    """The new account and the only copy of its set-password token."""

    user: User
    reset_token: str


def create_account_with_reset_token(
    session: Session,
    school: School,
    *,
    email: str,
    role: str,
    display_name: str | None = None,
    actor: User | None = None,
) -> CreatedAccount:
    """Create an account with an unusable random password and a set-password token; commit."""
    email = (email or "").strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not re.fullmatch(EMAIL_SHAPE, email):
        raise InvalidAccount("email", f"'{email}' is not an email address.")
    if role not in {r.value for r in Role}:
        choices = ", ".join(r.value for r in Role)
        raise InvalidAccount("role", f"'{role}' is not a role; choose one of {choices}.")
    display_name = " ".join((display_name or email.split("@", 1)[0]).split())
    if not display_name or len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        raise InvalidAccount("name", f"A name has 1 to {DISPLAY_NAME_MAX_LENGTH} characters.")
    if find_user_by_email(session, school, email) is not None:
        raise InvalidAccount("email", f"{email} already has an account at {school.slug}.")
    user = User(
        tenant_id=school.id,
        email=email,
        display_name=display_name,
        # Nobody ever sees this password: the account is reachable only through the link.
        password_hash=hash_password(secrets.token_urlsafe(32)),
        role=role,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # created meanwhile by someone else
        session.rollback()
        raise InvalidAccount("email", f"{email} already has an account.") from error
    token = issue_reset_token(session, user, issued_by=actor)
    record_action(session, school, actor, "user.created", f"user:{user.id}", role=role)
    session.commit()
    return CreatedAccount(user=user, reset_token=token)
