"""The course guides pinned on a school's feed ("Unblocking the Loop" and any other).

A new school's feed starts with each course's guide pinned, written by nobody (shown as
"Course team"). Pinning is idempotent: a guide already posted at the school, pinned or
unpinned since by its staff, is never posted again.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.catalogue.catalogue import Catalogue
from portal.models import Post, School, utc_now
from portal.rendering import render_user_markdown
from portal.scoping import scope_session


def pin_course_guides(session: Session, school: School, catalogue: Catalogue) -> list[Post]:
    """Post and pin every course guide the school does not have yet; the caller commits."""
    existing = set(
        session.scalars(select(Post.title).where(Post.tenant_id == school.id, Post.kind == "guide"))
    )
    added = []
    for course in catalogue.courses.values():
        guide = course.guide
        if guide is None or guide.title in existing:
            continue
        # Guides are content, but they go through the members' renderer all the same:
        # the feed shows one kind of HTML, with one allow-list.
        post = Post(
            tenant_id=school.id,
            author_id=None,
            kind="guide",
            title=guide.title,
            body_markdown=guide.markdown,
            body_html=render_user_markdown(guide.markdown),
            pinned=True,
            created_at=utc_now(),
        )
        session.add(post)
        existing.add(guide.title)
        added.append(post)
    return added


def pin_guides_of_new_school(school: School, catalogue: Catalogue) -> list[Post]:
    """Pin the guides in a school just created, in a session of that school's own.

    The platform admin creates schools from a request whose session is scoped to the
    admin's school and so may not write another school's rows; a separate session,
    scoped to the new school, writes them (and the CLI uses the same path).
    """
    session = current_app.extensions["db_sessionmaker"]()
    try:
        scope_session(session, school.id)
        added = pin_course_guides(session, school, catalogue)
        session.commit()
        return added
    finally:
        session.close()
