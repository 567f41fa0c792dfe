"""Managing a school's accounts: search, roles, deactivation and password reset links.

The rules keep a school runnable: the dashboard never grants or takes away the platform
admin role (operators do that from the command line), nobody deactivates themselves, and
no change may leave the school without an active school admin.
"""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.auth.reset import issue_reset_token
from portal.models import Role, School, User
from portal.paging import Page, paginate
from portal.tenancy import school_base_url

# The roles a school's dashboard may hand out.
ASSIGNABLE_ROLES = (Role.STUDENT, Role.INSTRUCTOR, Role.SCHOOL_ADMIN)


class UserChangeRefused(Exception):
    """The change would break a rule; the text says which, for the admin."""


def search_users(
    session: Session, school: School, query: str = "", role: str = "", page: int = 1
) -> Page:
    """The school's accounts whose email or name contains `query`, optionally of one role."""
    statement: Select = select(User).where(User.tenant_id == school.id)
    needle = query.strip().lower()
    if needle:
        statement = statement.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.display_name).contains(needle, autoescape=True),
            )
        )
    if role:
        statement = statement.where(User.role == role)
    return paginate(session, statement.order_by(User.email), page)


def find_user(session: Session, school: School, user_id: int) -> User | None:
    """The school's account with this id; another school's id finds nothing."""
    return session.scalars(
        select(User).where(User.id == user_id, User.tenant_id == school.id)
    ).one_or_none()


def _active_school_admins(session: Session, school: School) -> int:
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.tenant_id == school.id,
            User.role == Role.SCHOOL_ADMIN.value,
            User.is_active.is_(True),
        )
    )


def _check_keeps_an_admin(session: Session, school: School, target: User) -> None:
    # Only a change to an active school admin can remove the last one.
    if target.role == Role.SCHOOL_ADMIN and target.is_active:
        if _active_school_admins(session, school) <= 1:
            raise UserChangeRefused(
                f"{target.email} is the school's last active admin: make someone else "
                "a school admin first."
            )


def change_role(session: Session, school: School, actor: User, target: User, role: str) -> None:
    """Give `target` one of the assignable roles; audited and committed."""
    if role not in {r.value for r in ASSIGNABLE_ROLES}:
        raise UserChangeRefused("Choose student, instructor or school admin.")
    if target.role == Role.PLATFORM_ADMIN and actor.role != Role.PLATFORM_ADMIN:
        raise UserChangeRefused("Platform admins are managed by the platform's operators.")
    if role == target.role:
        return
    if role != Role.SCHOOL_ADMIN:
        _check_keeps_an_admin(session, school, target)
    previous = target.role
    target.role = role
    record_action(
        session, school, actor, "user.role_changed", f"user:{target.id}", old=previous, new=role
    )
    session.commit()


def set_active(session: Session, school: School, actor: User, target: User, active: bool) -> None:
    """Deactivate (the account can no longer log in) or reactivate `target`; committed."""
    if target.id == actor.id:
        raise UserChangeRefused("You cannot deactivate or reactivate your own account.")
    if target.role == Role.PLATFORM_ADMIN and actor.role != Role.PLATFORM_ADMIN:
        raise UserChangeRefused("Platform admins are managed by the platform's operators.")
    if target.is_active == active:
        return
    if not active:
        _check_keeps_an_admin(session, school, target)
    target.is_active = active
    action = "user.reactivated" if active else "user.deactivated"
    record_action(session, school, actor, action, f"user:{target.id}")
    session.commit()


def issue_password_link(session: Session, school: School, actor: User, target: User) -> str:
    """A fresh set-password link for `target`, committed; the only copy is returned.

    The link goes to the admin, who hands it over: the audit records that one was made,
    never the token.
    """
    if target.role == Role.PLATFORM_ADMIN and actor.role != Role.PLATFORM_ADMIN:
        raise UserChangeRefused("Platform admins are managed by the platform's operators.")
    if not target.is_active:
        raise UserChangeRefused("Reactivate the account first: an inactive account cannot log in.")
    token = issue_reset_token(session, target, issued_by=actor)
    record_action(session, school, actor, "password.reset_issued", f"user:{target.id}")
    session.commit()
    return f"{school_base_url(school)}/auth/reset?token={token}"
