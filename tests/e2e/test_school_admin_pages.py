"""The school's dashboard in Chromium: reachable from the menu, accessible, CSP-clean.

The demo student reports an error from a step; the demo school admin then walks the
dashboard (users, a student's progress, the gradebook, a group of students and the
gradebook filtered to it, submissions, error reports, settings), gives the school a
colour, and every page is checked with axe-core and for CSP violations.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

DESKTOP = {"width": 1280, "height": 900}


def _log_in(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_the_demo_admin_walks_the_dashboard(platform_url, chromium, artifacts):
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: dict = {}

    def check(name: str) -> None:
        page.screenshot(path=str(artifacts / f"school-admin-{name}.png"), full_page=True)
        violations = serious_accessibility_violations(page)
        if violations:
            found[name] = violations

    _log_in(page, "student@example.org", "student-demo-pass")
    page.goto("/courses/node-workers/steps/event-loop")
    page.get_by_role("link", name="Contact us").click()
    page.get_by_label("What is wrong?").fill("The first diagram is upside down.")
    check("report-form")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("your report went to the school's staff")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _log_in(page, "admin@example.org", "admin-demo-pass")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_text("open error reports")).to_be_visible()
    check("home")

    page.locator(".admin-nav").get_by_role("link", name="Users").click()
    page.get_by_label("Email or name contains").fill("student")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="student@example.org").click()
    expect(page.get_by_role("button", name="Change role")).to_be_visible()
    check("user")
    page.get_by_role("link", name="Progress", exact=True).last.click()
    expect(page.get_by_role("heading", name="Progress of Demo Student")).to_be_visible()
    check("progress")
    page.locator(".admin-nav").get_by_role("link", name="Gradebook").click()
    expect(page.get_by_role("heading", name="Gradebook", level=1)).to_be_visible()
    page.get_by_role("link", name="Steps").click()  # sorts by steps, ascending
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Steps")
    check("gradebook")
    page.get_by_role("row", name="Demo Student").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Progress of Demo Student")).to_be_visible()

    page.locator(".admin-nav").get_by_role("link", name="Groups").click()
    page.get_by_label("Name", exact=True).fill("Year 10 B")
    page.get_by_role("button", name="Create the group").click()
    page.get_by_label("Students' emails").fill("student@example.org")
    page.get_by_role("button", name="Add to the group").click()
    expect(page.get_by_role("row", name="Demo Student")).to_be_visible()
    check("group")
    page.get_by_role("link", name="Gradebook of this group").click()
    group_id = page.url.split("group=")[1].split("&")[0]
    expect(page.get_by_label("Group", exact=True)).to_have_value(group_id)
    expect(page.get_by_text("1 student in Year 10 B")).to_be_visible()
    check("gradebook-group")

    page.locator(".admin-nav").get_by_role("link", name="Submissions").click()
    check("submissions")

    page.locator(".admin-nav").get_by_role("link", name="Error reports").click()
    expect(page.get_by_text("The first diagram is upside down.")).to_be_visible()
    check("reports")
    page.get_by_role("button", name="Mark resolved").first.click()
    expect(page.get_by_role("button", name="Reopen").first).to_be_visible()

    page.locator(".admin-nav").get_by_role("link", name="Settings").click()
    page.get_by_label("Colour").fill("not a colour")
    page.get_by_role("button", name="Save name and colour").click()
    expect(page.get_by_text("#rrggbb, e.g.").first).to_be_visible()
    check("settings-refused")
    page.get_by_label("Colour").fill("#0b7a4b")
    page.get_by_role("button", name="Save name and colour").click()
    expect(page.get_by_text("name and colour are saved")).to_be_visible()
    colour = page.locator(".site-header").evaluate(
        "header => getComputedStyle(header).borderTopColor"
    )
    assert colour == "rgb(11, 122, 75)"
    check("settings")

    context.close()
    assert not found, f"serious accessibility violations: {found}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
