"""The upsell page: what premium unlocks in a course, and how to get it at this school."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.catalogue.catalogue import Course, Lab, get_catalogue
from portal.catalogue.content import Step
from portal.db import get_db
from portal.models import Role, School, User
from portal.models.premium import Entitlement
from portal.premium.entitlements import STAFF_ROLES, resolving_entitlement
from portal.premium.forms import RedeemCodeForm
from portal.tenancy import current_school

DEFAULT_HOW_TO = "Ask your school's admin: they can give you premium, or a code to redeem below."


# How a student came to hold premium, as the page says it (Entitlement.source).
SOURCE_WORDS = {
    "licence": "through your school's licence",
    "admin": "given by your school",
    "code": "with a code you redeemed",
}


@dataclass(frozen=True)
class PremiumOffer:
    """The premium parts of one course (A.D.A. is premium in every course)."""

    course: Course
    labs: list[Lab]
    steps: list[Step]


@dataclass(frozen=True)
class Holding:
    """What a student has in one course: premium since when, how, until when."""

    since: datetime
    how: str
    until: datetime | None


def holding(session: Session, user: User, course_id: str) -> Holding | None:
    """The premium `user` holds in `course_id`, if any, told from its broadest entitlement."""
    entitlement: Entitlement | None = resolving_entitlement(session, user, course_id)
    if entitlement is None:
        return None
    how = SOURCE_WORDS.get(entitlement.source, "")
    return Holding(entitlement.created_at, how, entitlement.until)


def premium_offers(courses: list[Course]) -> list[PremiumOffer]:
    """The premium labs and steps of each course; every course offers A.D.A. besides."""
    return [
        PremiumOffer(
            course,
            [lab for lab in course.labs if lab.premium],
            [step for step in course.steps if step.premium],
        )
        for course in courses
    ]


def school_admin_names(session: Session, school: School) -> list[str]:
    """The display names of the people to ask for premium at `school`."""
    query = select(User.display_name).where(
        User.tenant_id == school.id,
        User.role == Role.SCHOOL_ADMIN.value,
        User.is_active.is_(True),
    )
    return sorted(session.scalars(query))


def set_premium_info(
    session: Session, school: School, actor: User | None, text: str | None
) -> None:
    """Save what students are told about getting premium here (empty: the default); commits."""
    cleaned = (text or "").replace("\r\n", "\n").strip()
    school.premium_info = cleaned or None
    record_action(session, school, actor, "premium.info_changed", f"school:{school.id}")
    session.commit()


def render_upsell(
    course_id: str | None,
    next_url: str | None,
    form: RedeemCodeForm | None = None,
    status: int = 200,
    refused: bool = False,
):
    """The upsell page for the request's user and school.

    Per course, what the student already holds (since when, how); the way to get premium
    and the redeem form only while some course shown is still without it.
    """
    catalogue = get_catalogue()
    course = catalogue.course(course_id) if course_id else None
    courses = [course] if course else list(catalogue.courses.values())
    school = current_school()
    session = get_db()
    if form is None:
        form = RedeemCodeForm(next=next_url or "", course=course.id if course else "")
    staff = g.user.role in STAFF_ROLES
    holdings = {} if staff else {c.id: holding(session, g.user, c.id) for c in courses}
    has_access = staff or all(holdings.values())
    page = render_template(
        "premium/upsell.html",
        course=course,
        offers=premium_offers(courses),
        school=school,
        how_to=school.premium_info or DEFAULT_HOW_TO,
        admins=school_admin_names(session, school),
        form=form,
        next_url=next_url,
        refused=refused,
        holdings=holdings,
        staff=staff,
        has_access=has_access,
    )
    return page, status
