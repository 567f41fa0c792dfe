"""Every page of every role, on a phone and on a desktop, in light and dark: none is wider
than its viewport, and axe-core finds no serious or critical violation.

Each role (guest, student, school admin, platform admin) logs in once and walks the site
by following the links of each page it reaches, so a page added later is walked without
editing this test. Pages that differ only by an id (one user, one post) are walked once;
the student walks every step and lab, the other roles one step and one lab of each course.
Each page is loaded once and then re-laid out at each size and scheme (viewport and
`prefers-color-scheme` change without a reload).

Every walked page is measured at both sizes. Each kind of page (the same template for the
same audience: guest, student or staff) is also screenshotted at each size and scheme
(`tests/e2e/artifacts/walk/<role>-<page>-<size>-<scheme>.jpg`) and checked with axe-core in
both schemes; its repeats (the student's other steps, the platform admin's copies of the
school admin's pages) are only measured, which keeps the walk to about three minutes.
E2E_WALK_ALL=1 screenshots and checks every walked page (about twice as long).
"""

from __future__ import annotations

import os
import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SCHEMES = ("light", "dark")
ROLES = {
    "guest": None,
    "student": ("student@example.org", "student-demo-pass"),
    "school-admin": ("admin@example.org", "admin-demo-pass"),
    # After the school admin: the course pages staff share are only measured, not re-checked.
    "instructor": ("instructor@example.org", "instructor-demo-pass"),
    "platform-admin": ("platform@example.org", "platform-demo-pass"),
}
START = ("/", "/auth/login", "/auth/register", "/auth/forgot")
# Not pages: files, machine endpoints, downloads.
SKIP = re.compile(r"^/(static|school|metrics|healthz|readyz)\b|\.(csv|svg|ico|png|js)$")
MAX_PAGES_PER_ROLE = 80
WALK_ALL = os.environ.get("E2E_WALK_ALL") == "1"

# The elements that stick out of the viewport, deepest first: what a failure names.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = document.documentElement.scrollWidth;
  if (wide <= width) return null;
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width && box.right > width + 1
        && ![...element.children].some(c => c.getBoundingClientRect().right > width + 1)) {
      let name = element.tagName.toLowerCase();
      if (element.className && typeof element.className === "string")
        name += "." + element.className.trim().split(/\\s+/).join(".");
      out.push(name + " right=" + Math.round(box.right));
    }
    if (out.length >= 5) break;
  }
  return {scrollWidth: wide, clientWidth: width, elements: out};
}"""

LINKS = """() => [...document.querySelectorAll("a[href]:not([download])")]
  .map(a => a.href).filter(href => href.startsWith(location.origin))"""


def page_key(path: str, role: str) -> str:
    """What makes two pages the same page for the walk."""
    key = re.sub(r"/\d+", "/N", path)
    if role != "student":
        key = re.sub(r"/(steps|labs)/[^/]+", r"/\1/*", key)
    return key


def kind_of_page(path: str, role: str) -> tuple[str, str]:
    """Pages that share a template and an audience: one of them stands for the rest."""
    audience = role if role in ("guest", "student") else "staff"
    if role == "instructor" and not path.startswith("/courses"):
        # Their gradebook and groups are scoped to their own classes: checked as theirs;
        # the course pages they share with the other staff are only measured.
        audience = role
    return audience, re.sub(r"/(steps|labs)/[^/]+", r"/\1/*", re.sub(r"/\d+", "/N", path))


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def log_in(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def walk(page, role: str):
    """Yield the paths this role reaches by following links, breadth first from the start;
    the page is on that path when it is yielded."""
    queue = deque(START if role == "guest" else ("/",))
    seen: set[str] = set()
    count = 0
    while queue and count < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        if page_key(path, role) in seen or SKIP.search(path):
            continue
        seen.add(page_key(path, role))
        response = page.goto(path)
        landed = urlsplit(page.url).path
        if landed != path:  # redirected (to log in, to the upsell): walked under its own name
            if page_key(landed, role) in seen:
                continue
            seen.add(page_key(landed, role))
        if response is None or not response.ok:
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        links = [urlsplit(href).path for href in page.evaluate(LINKS)]
        count += 1
        yield landed
        queue.extend(links)


def test_every_page_of_every_role_fits_phone_and_desktop(platform_url, chromium, artifacts):
    shots = artifacts / "walk"
    shots.mkdir(exist_ok=True)
    too_wide: dict[str, dict] = {}
    inaccessible: dict[str, list] = {}
    csp_violations: list = []
    walked: dict[str, int] = {}
    checked: set[tuple[str, str]] = set()
    for role, login in ROLES.items():
        context = chromium.new_context(
            viewport=VIEWPORTS["desktop"], base_url=platform_url, reduced_motion="reduce"
        )
        watch_csp_violations(context, csp_violations)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if login:
            log_in(page, *login)
        walked[role] = 0
        for path in walk(page, role):
            walked[role] += 1
            kind = kind_of_page(path, role)
            if kind in checked and not WALK_ALL:  # a repeat: only measured
                for size, viewport in VIEWPORTS.items():
                    page.set_viewport_size(viewport)
                    overflow = page.evaluate(OVERFLOW)
                    if overflow:
                        too_wide[f"{role}-{slug(path)}-{size}"] = overflow
                page.set_viewport_size(VIEWPORTS["desktop"])
                continue
            checked.add(kind)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme)
                for size, viewport in VIEWPORTS.items():
                    page.set_viewport_size(viewport)
                    name = f"{role}-{slug(path)}-{size}-{scheme}"
                    overflow = page.evaluate(OVERFLOW)
                    if overflow:
                        too_wide[name] = overflow
                    # JPEG: several hundred full pages, a fraction of PNG's size.
                    page.screenshot(
                        path=str(shots / f"{name}.jpg"), type="jpeg", quality=70, full_page=True
                    )
                # axe once per scheme, at the phone's size (the cramped layout).
                violations = serious_accessibility_violations(page)
                if violations:
                    inaccessible[f"{role} {path} {scheme}"] = violations
            page.set_viewport_size(VIEWPORTS["desktop"])
            page.emulate_media(color_scheme="light")
        context.close()

    # The walk really reached each role's own pages.
    assert walked["guest"] >= 5 and walked["student"] >= 20, walked
    assert walked["school-admin"] >= 10 and walked["platform-admin"] >= 12, walked
    assert walked["instructor"] >= 5, walked
    assert any(audience == "instructor" for audience, _ in checked), sorted(checked)
    assert len(checked) >= 40, sorted(checked)
    assert not too_wide, f"pages wider than their viewport: {too_wide}"
    assert not inaccessible, f"serious accessibility violations: {inaccessible}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
