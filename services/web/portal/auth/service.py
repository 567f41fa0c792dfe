"""Creating accounts and checking logins, for one school at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.bidi import strip_bidi
from portal.models import Role, School, User
from portal.security import hash_password, password_needs_rehash, verify_password


class EmailTaken(Exception):
    """An account with this email already exists at the school."""


class InvalidCredentials(Exception):
    """Unknown email, wrong password or inactive account; deliberately not told apart."""


def find_user_by_email(session: Session, school: School, email: str) -> User | None:
    """The school's account with this email (case-insensitive), if any."""
    return session.scalars(
        select(User).where(User.tenant_id == school.id, User.email == email.strip().lower())
    ).one_or_none()


def register_user(
    session: Session,
    school: School,
    *,
    email: str,
    display_name: str,
    password: str,
    role: Role = Role.STUDENT,
) -> User:
    """Create and commit an account at `school`; raises EmailTaken."""
    if find_user_by_email(session, school, email) is not None:
        raise EmailTaken(email)
    user = User(
        tenant_id=school.id,
        email=email,
        display_name=strip_bidi(display_name).strip(),
        password_hash=hash_password(password),
        role=role.value,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:  # two registrations raced past the check above
        session.rollback()
        raise EmailTaken(email) from error
    return user


def authenticate(session: Session, school: School, email: str, password: str) -> User:
    """The active account matching email and password at `school`, or InvalidCredentials."""
    user = find_user_by_email(session, school, email)
    if not verify_password(user.password_hash if user else None, password):
        raise InvalidCredentials()
    if not user.is_active:
        raise InvalidCredentials()
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.commit()
    return user
