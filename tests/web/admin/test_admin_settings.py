"""Branding (name, colour, logo) and the sign-up policy, set by a school admin."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from sqlalchemy import select

from portal.auth.signup_policy import SignupClosed, SignupRefused, check_signup
from portal.models import AuditEvent, School, User
from tests.web.conftest import PASSWORD


def tiny_png() -> bytes:
    """A real 1x1 PNG, built here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def admin(browsers):
    return browsers["school_admin"]


def _upload(admin, data: bytes, filename: str):
    return admin.post_form(
        "/admin/settings/logo",
        {"logo": (BytesIO(data), filename)},
        "/admin/settings",
        content_type="multipart/form-data",
    )


def test_name_and_colour_show_in_every_page(admin, browsers, db):
    response = admin.post_form(
        "/admin/settings/branding",
        {"name": "Ada Lovelace Academy", "colour": "#AA3300"},
        "/admin/settings",
    )
    assert response.status_code == 302
    page = browsers["guest"].client.get("/").get_data(as_text=True)
    assert "Ada Lovelace Academy</a>" in page and "· Ada Lovelace Academy</title>" in page
    assert "Course Platform" not in page
    assert 'href="/school/theme.css?v=aa3300"' in page
    css = browsers["guest"].client.get("/school/theme.css?v=aa3300")
    assert css.mimetype == "text/css" and "--brand: #aa3300;" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "school.branding_changed")
    ).one()
    assert event.detail["colour"] == {"old": "#3b5bdb", "new": "#aa3300"}


@pytest.mark.parametrize(
    ("name", "colour", "message"),
    [
        ("A school", "red", "#rrggbb"),
        ("A school", "#12345", "#rrggbb"),
        ("A school", "#12345g", "#rrggbb"),
        ("A school", "#123456;}body{x:y", "#rrggbb"),
        ("", "#123456", "This field is required."),
        ("x" * 201, "#123456", "between 1 and 200"),
    ],
)
def test_bad_names_and_colours_are_refused_and_kept(admin, db, name, colour, message):
    response = admin.post_form(
        "/admin/settings/branding", {"name": name, "colour": colour}, "/admin/settings"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{colour}"' in page.replace("&#34;", '"')
    db.expire_all()
    school = db.scalars(select(School)).one()
    assert school.brand_colour == "#3b5bdb" and school.name == "Default School"


def test_a_png_logo_is_served_with_its_type_and_shown_in_the_header(admin, browsers, db):
    png = tiny_png()
    assert _upload(admin, png, "logo.png").status_code == 302
    page = browsers["guest"].client.get("/").get_data(as_text=True)
    src = page.split('class="brand-logo" src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/school/logo?v=")
    logo = browsers["guest"].client.get(src)
    assert logo.status_code == 200 and logo.data == png
    assert logo.mimetype == "image/png"
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in logo.headers["Cache-Control"]
    # A new logo is a new URL.
    assert _upload(admin, png, "again.png").status_code == 302
    newer = browsers["guest"].client.get("/").get_data(as_text=True)
    assert src not in newer

    response = admin.post_form("/admin/settings/logo/remove", {}, "/admin/settings")
    assert response.status_code == 302
    assert browsers["guest"].client.get("/school/logo").status_code == 404
    assert "brand-logo" not in browsers["guest"].client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"This is text, not a PNG at all.", "fake.png"),
        (SVG, "logo.svg"),
        (SVG, "logo.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (256 * 1024), "huge.png"),
    ],
    ids=["text-named-png", "svg", "svg-named-png", "oversized"],
)
def test_anything_but_a_small_png_jpeg_or_webp_is_refused(admin, browsers, db, data, filename):
    response = _upload(admin, data, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "PNG, JPEG or WebP" in page or "larger than 256 KiB" in page
    db.expire_all()
    assert db.scalars(select(School)).one().logo_type is None
    assert browsers["guest"].client.get("/school/logo").status_code == 404


def test_instructors_cannot_change_settings(browsers):
    response = browsers["instructor"].post_form(
        "/admin/settings/branding", {"name": "Mine", "colour": "#000000"}, "/admin/"
    )
    assert response.status_code == 403


# --- sign-up policy -------------------------------------------------------------------


def _set_policy(admin, **fields):
    data = {"policy": "open", "invite_code": "", "email_domain": "", **fields}
    return admin.post_form("/admin/settings/signup", data, "/admin/settings")


def _register(browser, email: str, **extra):
    data = {
        "email": email,
        "display_name": "Newcomer",
        "password": PASSWORD,
        **extra,
    }
    return browser.post_form("/auth/register", data)


def _has_account(db, email: str) -> bool:
    db.expire_all()
    return db.scalars(select(User).where(User.email == email)).one_or_none() is not None


def test_open_lets_anyone_sign_up(browsers, db):
    assert _register(browsers["guest"], "new@anywhere.example").status_code == 302
    assert _has_account(db, "new@anywhere.example")


def test_invite_needs_the_right_code(admin, browsers, db):
    assert _set_policy(admin, policy="invite", invite_code="open-sesame").status_code == 302
    guest = browsers["guest"]
    assert "Invite code" in guest.client.get("/auth/register").get_data(as_text=True)

    response = _register(guest, "wrong@example.org", invite_code="open-sesam")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This invite code is not valid here." in page
    assert 'value="wrong@example.org"' in page and 'value="open-sesam"' in page
    assert not _has_account(db, "wrong@example.org")

    assert _register(guest, "right@example.org", invite_code="open-sesame").status_code == 302
    assert _has_account(db, "right@example.org")
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "school.signup_policy_changed")
    ).one()
    assert "open-sesame" not in str(event.detail)


def test_an_invite_policy_needs_a_code_and_a_domain_policy_a_domain(admin, db):
    response = _set_policy(admin, policy="invite", invite_code="abc")
    assert response.status_code == 422 and "6 to 100 characters" in response.get_data(as_text=True)
    response = _set_policy(admin, policy="email_domain", email_domain="not a domain")
    assert response.status_code == 422 and "school.example.edu" in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalars(select(School)).one().signup_policy == "open"


def test_email_domain_admits_only_that_domain(admin, browsers, db):
    assert _set_policy(admin, policy="email_domain", email_domain="@School.EDU").status_code == 302
    guest = browsers["guest"]
    response = _register(guest, "mallory@school.edu.evil.example")
    assert response.status_code == 422
    assert "school.edu" in response.get_data(as_text=True)
    assert not _has_account(db, "mallory@school.edu.evil.example")
    assert _register(guest, "Pupil@School.edu").status_code == 302
    assert _has_account(db, "pupil@school.edu")


def test_closed_shows_who_creates_accounts_and_refuses_posts(admin, browsers, db):
    assert _set_policy(admin, policy="closed").status_code == 302
    guest = browsers["guest"]
    page = guest.client.get("/auth/register")
    assert page.status_code == 200
    assert "Accounts at Default School are created by its staff" in page.get_data(as_text=True)
    token = guest.csrf_token("/auth/login")
    response = guest.client.post(
        "/auth/register",
        data={
            "email": "sneaky@example.org",
            "display_name": "Sneaky",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    assert not _has_account(db, "sneaky@example.org")


@pytest.mark.parametrize(
    ("policy", "code", "domain", "email", "given", "allowed"),
    [
        ("invite", None, None, "a@b.example", "", False),  # no code set lets nobody in
        ("invite", "s3cret-code", None, "a@b.example", " s3cret-code ", True),
        ("email_domain", None, None, "a@b.example", "", False),  # no domain set either
        ("email_domain", None, "b.example", "a@sub.b.example", "", False),
        ("email_domain", None, "b.example", "a@b.example", "", True),
        ("bogus", None, None, "a@b.example", "", False),  # unknown policy: closed
    ],
)
def test_check_signup(policy, code, domain, email, given, allowed):
    school = School(
        slug="s",
        name="S",
        signup_policy=policy,
        signup_invite_code=code,
        signup_email_domain=domain,
    )
    try:
        check_signup(school, email, given)
    except (SignupRefused, SignupClosed):
        assert not allowed
    else:
        assert allowed
