"""A school's student groups (class sections): create, rename, delete, fill and empty.

The rules a school admin expects: a name is 1 to 80 characters once trimmed (and once
bidirectional controls are gone, as every stored text loses them), unique at the school
whatever its case ("Year 10 B" and "year 10 b" are one group); only the school's own
students can join, found by email, and a student may be in several groups. Every change
is in the audit log. Each query goes through the request's session, which
`portal.scoping` limits to the school, so another school's group or student is simply
not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.bidi import strip_bidi
from portal.models import GROUP_NAME_MAX, GroupMember, Role, School, StudentGroup, User

# Emails pasted from a spreadsheet: one a line, or separated by commas, semicolons or spaces.
EMAIL_SEPARATORS = re.compile(r"[\s,;]+")
MAX_EMAILS_AT_ONCE = 500


class GroupChangeRefused(Exception):
    """The change would break a rule; the text says which, for the staff member."""


@dataclass(frozen=True)
class GroupSummary:
    """A group as the list shows it: its name and how many students it holds."""

    id: int
    name: str
    members: int


def group_summaries(session: Session, school: School) -> list[GroupSummary]:
    """The school's groups by name, each with its number of students (one query)."""
    members = (
        select(GroupMember.group_id, func.count().label("members"))
        .where(GroupMember.tenant_id == school.id)
        .group_by(GroupMember.group_id)
        .subquery()
    )
    rows = session.execute(
        select(StudentGroup.id, StudentGroup.name, func.coalesce(members.c.members, 0))
        .outerjoin(members, members.c.group_id == StudentGroup.id)
        .where(StudentGroup.tenant_id == school.id)
        .order_by(func.lower(StudentGroup.name), StudentGroup.id)
    )
    return [GroupSummary(id, name, int(count)) for id, name, count in rows]


def group_choices(session: Session, school: School) -> list[tuple[int, str]]:
    """(id, name) of the school's groups by name, for a filter's options."""
    rows = session.execute(
        select(StudentGroup.id, StudentGroup.name)
        .where(StudentGroup.tenant_id == school.id)
        .order_by(func.lower(StudentGroup.name), StudentGroup.id)
    )
    return [(id, name) for id, name in rows]


def find_group(session: Session, school: School, group_id: int) -> StudentGroup | None:
    """The school's group with this id; another school's id finds nothing."""
    return session.scalars(
        select(StudentGroup).where(StudentGroup.id == group_id, StudentGroup.tenant_id == school.id)
    ).one_or_none()


def members(session: Session, group: StudentGroup) -> list[User]:
    """The group's students, by name then email."""
    return list(
        session.scalars(
            select(User)
            .join(GroupMember, GroupMember.user_id == User.id)
            .where(GroupMember.group_id == group.id, GroupMember.tenant_id == group.tenant_id)
            .order_by(func.lower(User.display_name), User.email)
        )
    )


def groups_of(session: Session, school: School, user: User) -> list[StudentGroup]:
    """The school's groups `user` is in, by name."""
    return list(
        session.scalars(
            select(StudentGroup)
            .join(GroupMember, GroupMember.group_id == StudentGroup.id)
            .where(GroupMember.user_id == user.id, StudentGroup.tenant_id == school.id)
            .order_by(func.lower(StudentGroup.name), StudentGroup.id)
        )
    )


def _clean_name(
    session: Session, school: School, name: str, keep: StudentGroup | None = None
) -> str:
    clean = " ".join(strip_bidi(name or "").split())
    if not clean:
        raise GroupChangeRefused("Give the group a name.")
    if len(clean) > GROUP_NAME_MAX:
        raise GroupChangeRefused(f"A group's name is at most {GROUP_NAME_MAX} characters.")
    same = session.scalars(
        select(StudentGroup).where(
            StudentGroup.tenant_id == school.id,
            func.lower(StudentGroup.name) == clean.lower(),
        )
    ).first()
    if same is not None and same is not keep:
        raise GroupChangeRefused(f"There is already a group named “{same.name}”.")
    return clean


def _commit(session: Session, refusal: str) -> None:
    # Two staff members doing the same at the same moment: the unique constraints decide,
    # and the second is told why instead of getting an error page.
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise GroupChangeRefused(refusal) from None


def create_group(session: Session, school: School, actor: User, name: str) -> StudentGroup:
    """A new, empty group named `name` (committed)."""
    group = StudentGroup(tenant_id=school.id, name=_clean_name(session, school, name))
    session.add(group)
    refusal = f"There is already a group named “{group.name}”."
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise GroupChangeRefused(refusal) from None
    record_action(session, school, actor, "group.created", f"group:{group.id}", name=group.name)
    _commit(session, refusal)
    return group


def rename_group(
    session: Session, school: School, actor: User, group: StudentGroup, name: str
) -> None:
    """Give `group` the name `name` (committed)."""
    clean = _clean_name(session, school, name, keep=group)
    old, group.name = group.name, clean
    record_action(session, school, actor, "group.renamed", f"group:{group.id}", old=old, new=clean)
    session.commit()


def delete_group(session: Session, school: School, actor: User, group: StudentGroup) -> None:
    """Delete `group` and its memberships; the students and their work stay (committed)."""
    session.execute(
        delete(GroupMember).where(
            GroupMember.group_id == group.id, GroupMember.tenant_id == school.id
        )
    )
    record_action(session, school, actor, "group.deleted", f"group:{group.id}", name=group.name)
    session.delete(group)
    session.commit()


def add_members(
    session: Session, school: School, actor: User, group: StudentGroup, emails_text: str
) -> list[User]:
    """Put the school's students with these emails into `group` (committed); returns the
    ones newly added. Nothing changes unless every email is one of the school's students."""
    emails = list(dict.fromkeys(e.lower() for e in EMAIL_SEPARATORS.split(emails_text) if e))
    if not emails:
        raise GroupChangeRefused("Write the email of at least one student.")
    if len(emails) > MAX_EMAILS_AT_ONCE:
        raise GroupChangeRefused(f"At most {MAX_EMAILS_AT_ONCE} emails at once.")
    found = {
        user.email: user
        for user in session.scalars(
            select(User).where(User.tenant_id == school.id, User.email.in_(emails))
        )
    }
    unknown = [email for email in emails if email not in found]
    if unknown:
        raise GroupChangeRefused("No account at this school with the email " + _listed(unknown))
    not_students = [e for e in emails if found[e].role != Role.STUDENT.value]
    if not_students:
        raise GroupChangeRefused("Only students join groups, not " + _listed(not_students))
    already = set(
        session.scalars(
            select(GroupMember.user_id).where(
                GroupMember.group_id == group.id,
                GroupMember.user_id.in_([user.id for user in found.values()]),
            )
        )
    )
    added = [found[email] for email in emails if found[email].id not in already]
    for user in added:
        session.add(GroupMember(tenant_id=school.id, group_id=group.id, user_id=user.id))
    if added:
        record_action(
            session,
            school,
            actor,
            "group.members_added",
            f"group:{group.id}",
            users=[user.id for user in added],
        )
    _commit(session, "Someone else changed this group at the same moment: try again.")
    return added


def remove_member(
    session: Session, school: School, actor: User, group: StudentGroup, user: User
) -> bool:
    """Take `user` out of `group` (committed); False when they were not in it."""
    removed = session.execute(
        delete(GroupMember).where(
            GroupMember.group_id == group.id,
            GroupMember.user_id == user.id,
            GroupMember.tenant_id == school.id,
        )
    ).rowcount
    if removed:
        record_action(
            session, school, actor, "group.member_removed", f"group:{group.id}", user=user.id
        )
    session.commit()
    return bool(removed)


def _listed(emails: list[str]) -> str:
    shown = ", ".join(emails[:5])
    more = f" and {len(emails) - 5} more" if len(emails) > 5 else ""
    return f"{shown}{more}."
