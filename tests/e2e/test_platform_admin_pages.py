"""The platform admin's pages in Chromium: reachable from the menu, accessible, CSP-clean.

The seeded demo operator opens the schools page, creates a school through the form,
looks at the activity charts (served as images) and the grading health page, where the
platform's own grader workers (Node and Python) are listed as alive.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

DESKTOP = {"width": 1280, "height": 900}


def test_the_demo_operator_runs_the_platform_pages(platform_url, chromium, artifacts):
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: dict = {}

    def check(name: str) -> None:
        page.screenshot(path=str(artifacts / f"platform-{name}.png"), full_page=True)
        violations = serious_accessibility_violations(page)
        if violations:
            found[name] = violations

    page.goto("/auth/login")
    page.get_by_label("Email").fill("platform@example.org")
    page.get_by_label("Password").fill("platform-demo-pass")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Platform", exact=True).click()
    expect(page.get_by_role("heading", name="Schools", exact=True)).to_be_visible()
    page.wait_for_load_state("load")  # the charts are images: loaded by the load event
    for chart in ("submissions-per-day", "pass-rate"):
        image = page.locator(f"img[src$='{chart}.svg']")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), chart
    check("overview")

    page.get_by_role("link", name="New school").click()
    page.get_by_label("Slug").fill("Bad Slug")
    page.get_by_label("Name").fill("School A")
    page.get_by_role("button", name="Create the school").click()
    expect(page.get_by_text("lower-case letters, digits and hyphens").first).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("School A")
    check("new-school-refused")
    page.get_by_label("Slug").fill("school-a")
    page.get_by_role("button", name="Create the school").click()
    expect(page.get_by_text("School school-a created")).to_be_visible()
    expect(page.locator("#school-school-a")).to_contain_text("School A")

    page.get_by_role("link", name="Grading health").click()
    # Both graders' queues, and a worker listening on each (the Node and the Python one).
    expect(page.locator("#queue-grading")).to_be_visible()
    expect(page.locator("#queue-grading-python")).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile(r"^e2e-\d+$"))).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile(r"^e2e-py-\d+$"))).to_be_visible()
    check("grading")

    context.close()
    assert not found, f"serious accessibility violations: {found}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
