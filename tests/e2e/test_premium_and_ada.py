"""Premium and "Consult A.D.A." in Chromium, as a school and its student use them.

The demo school admin creates a premium code in the dashboard. The demo student, who
has no premium, follows "Consult A.D.A." from the course page to the upsell page,
redeems the code there, asks A.D.A. why a worker does not speed things up, and reads an
answer drawn from the course with links to the steps it used. Every page is checked with
axe-core and for Content-Security-Policy violations.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

DESKTOP = {"width": 1280, "height": 900}
QUESTION = "Why did my worker threads not speed things up?"


def _log_in(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_student_redeems_a_code_and_consults_ada(platform_url, chromium, artifacts):
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    accessibility: dict = {}

    def check(name: str) -> None:
        page.screenshot(path=str(artifacts / f"premium-{name}.png"), full_page=True)
        violations = serious_accessibility_violations(page)
        if violations:
            accessibility[name] = violations

    # The school admin makes one single-use code.
    _log_in(page, "admin@example.org", "admin-demo-pass")
    page.get_by_role("link", name="Premium admin").click()
    page.get_by_role("navigation", name="Premium administration").get_by_role(
        "link", name="Codes"
    ).click()
    page.get_by_label("Note (e.g. who the codes are for)").fill("for the demo student")
    page.get_by_role("button", name="Create").click()
    code = page.locator(".premium-codes tbody th code").first.inner_text()
    assert len(code) == len("ABCD-EFGH-JKLM"), code
    check("codes")
    page.get_by_role("button", name="Log out").click()

    # The student meets the upsell page, then redeems the code typed carelessly.
    _log_in(page, "student@example.org", "student-demo-pass")
    page.goto("/courses/node-workers")
    page.get_by_role("link", name="Consult A.D.A.").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Premium")
    expect(page.locator(".premium-items")).to_contain_text("A.D.A.: ask the course's expert")
    check("upsell")
    page.get_by_label("Premium code").fill(f"  {code.lower().replace('-', ' ')} ")
    page.get_by_role("button", name="Redeem").click()

    # Back where the student was going: A.D.A. answers from the course and names the steps she used.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Consult A.D.A.")
    expect(page.get_by_text("stay on this platform")).to_be_visible()
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Ask A.D.A.").click()
    consultation = page.locator(".ada-consultation").first
    expect(consultation.locator(".ada-question")).to_have_text(QUESTION)
    expect(consultation.locator(".ada-answer")).to_contain_text("worker")
    sources = consultation.locator(".ada-sources a")
    assert sources.count() >= 1
    expect(sources.first).to_have_attribute("href", "/courses/node-workers/steps/worker-threads")
    check("ada-answer")
    sources.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Worker threads")

    # The premium page now shows what the student has and since when, not how to get it.
    page.goto("/premium?course=node-workers")
    expect(page.locator(".premium-held")).to_contain_text("with a code you redeemed")
    expect(page.get_by_role("heading", name="Redeem a code")).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile("How to get premium"))).to_have_count(0)
    check("premium-held")

    assert accessibility == {}
    assert csp_violations == []
    context.close()
