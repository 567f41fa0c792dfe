"""A school's look: its name, its colour and its logo.

A logo is an image the header shows on every page, so it is held to what a browser can
only ever display as a picture: PNG, JPEG or WebP, recognised by their first bytes (a
file's name and declared type are the uploader's claims), at most 256 KiB. SVG is
refused: it is a document that can carry script.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.audit import record_action
from portal.models import DEFAULT_BRAND_COLOUR, AuditEvent, School, User

MAX_LOGO_BYTES = 256 * 1024
COLOUR_SHAPE = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_ACTIONS = ("school.logo_changed", "school.logo_removed")


class BrandingRefused(Exception):
    """The name, colour or logo cannot be used; the text says why."""


def image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG or WebP image, from its signature; None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def valid_colour(colour: str) -> bool:
    """Whether `colour` is `#rrggbb`, the only shape the stylesheet is built from."""
    return bool(COLOUR_SHAPE.match(colour or ""))


def theme_colour(school: School) -> str:
    """The colour the stylesheet sets; the default if the stored one is ever malformed."""
    return (
        school.brand_colour.lower() if valid_colour(school.brand_colour) else DEFAULT_BRAND_COLOUR
    )


def update_identity(session: Session, school: School, actor: User, name: str, colour: str) -> None:
    """Rename the school and set its colour; audited and committed."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise BrandingRefused("The name is 1 to 200 characters.")
    if not valid_colour(colour):
        raise BrandingRefused("The colour is written #rrggbb, e.g. #3b5bdb.")
    changes = {}
    if name != school.name:
        changes["name"] = {"old": school.name, "new": name}
    if colour.lower() != school.brand_colour:
        changes["colour"] = {"old": school.brand_colour, "new": colour.lower()}
    if not changes:
        return
    school.name = name
    school.brand_colour = colour.lower()
    record_action(
        session, school, actor, "school.branding_changed", f"school:{school.id}", **changes
    )
    session.commit()


def store_logo(session: Session, school: School, actor: User, data: bytes) -> None:
    """Keep `data` as the school's logo if it is a small PNG, JPEG or WebP; committed."""
    if len(data) > MAX_LOGO_BYTES:
        raise BrandingRefused(f"The logo is larger than {MAX_LOGO_BYTES // 1024} KiB.")
    media_type = image_type(data)
    if media_type is None:
        raise BrandingRefused("The logo must be a PNG, JPEG or WebP image (SVG is not accepted).")
    school.logo = data
    school.logo_type = media_type
    record_action(
        session,
        school,
        actor,
        "school.logo_changed",
        f"school:{school.id}",
        type=media_type,
        bytes=len(data),
    )
    session.commit()


def remove_logo(session: Session, school: School, actor: User) -> None:
    """Go back to the name alone in the header; committed."""
    if school.logo_type is None:
        return
    school.logo = None
    school.logo_type = None
    record_action(session, school, actor, "school.logo_removed", f"school:{school.id}")
    session.commit()


def logo_version(session: Session, school: School) -> int | None:
    """A number that changes whenever the logo does (the id of its latest audit event).

    It goes into the logo's URL, so browsers may cache the image for good: a new logo
    is a new URL. None when the school has no logo.
    """
    if school.logo_type is None:
        return None
    latest = session.scalar(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.tenant_id == school.id, AuditEvent.action.in_(LOGO_ACTIONS)
        )
    )
    return latest or 0
