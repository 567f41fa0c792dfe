"""The upsell page: what premium unlocks in a course, and how to get it at this school."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.catalogue.catalogue import Course, Lab, get_catalogue
from portal.catalogue.content import Step
from portal.db import get_db
from portal.models import Role, School, User
from portal.premium.entitlements import has_premium
from portal.premium.forms import RedeemCodeForm
from portal.tenancy import current_school

DEFAULT_HOW_TO = "Ask your school's admin: they can give you premium, or a code to redeem below."


@dataclass(frozen=True)
class PremiumOffer:
    """The premium parts of one course."""

    course: Course
    labs: list[Lab]
    steps: list[Step]


def premium_offers(courses: list[Course]) -> list[PremiumOffer]:
    """The premium labs and steps of each course that has any."""
    offers = []
    for course in courses:
        labs = [lab for lab in course.labs if lab.premium]
        steps = [step for step in course.steps if step.premium]
        if labs or steps:
            offers.append(PremiumOffer(course, labs, steps))
    return offers


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
    """The upsell page for the request's user and school (with the redeem form)."""
    catalogue = get_catalogue()
    course = catalogue.course(course_id) if course_id else None
    courses = [course] if course else list(catalogue.courses.values())
    school = current_school()
    session = get_db()
    if form is None:
        form = RedeemCodeForm(next=next_url or "", course=course.id if course else "")
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
        has_access=has_premium(session, g.user, course.id if course else None),
    )
    return page, status
