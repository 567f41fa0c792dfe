"""The XSS corpus in Chromium: nothing a user typed or a program printed ever runs.

A student registers with a payload as display name, reports an error with a payload,
and submits a Thread Lab solution that prints every payload of the corpus (graded for
real in Docker, so lab-status.js draws the output). The student's pages and then the
school admin's pages that show them must leave `window.__xss` undefined, open no
dialog and raise no Content-Security-Policy violation (an injected handler or script
would be refused by the policy, and so reported, even where it could not run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations
from tests.web.xss_corpus import PAYLOADS

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "content" / "courses" / "node-workers" / "solutions" / "thread-lab.js"
DESKTOP = {"width": 1280, "height": 900}
NAME = '<img src=x onerror="window.__xss=1">'
EMAIL, PASSWORD = "mallory@example.org", "a long enough password"
REPORT = "<svg onload=window.__xss=1> the second diagram <script>window.__xss=1</script>"
LAB = "/courses/node-workers/labs/thread-lab"
GRADING_TIMEOUT_MS = 120_000


def _solution_printing_payloads() -> bytes:
    printer = (
        "if (require('node:worker_threads').isMainThread) {\n"
        f"  for (const text of {json.dumps(PAYLOADS)}) console.log(text);\n"
        "}\n"
    )
    return (printer + SOLUTION.read_text()).encode()


def _log_in(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def _assert_inert(page: Page, dialogs: list, where: str) -> None:
    # Give an image's onerror or an svg's onload the time to fire, had it survived.
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__xss") == "undefined", where
    assert dialogs == [], where


def test_payloads_in_names_reports_and_lab_output_never_run(platform_url, chromium, artifacts):
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    accessibility: dict = {}

    # Register (which signs in) with a payload as display name: shown as text in the header.
    page.goto("/auth/register")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Display name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("your account is ready")).to_be_visible()
    expect(page.locator(".who")).to_have_text(NAME)
    _assert_inert(page, dialogs, "header")
    page.goto("/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    _assert_inert(page, dialogs, "profile")

    # A report whose message is a payload.
    page.goto("/courses/node-workers/steps/event-loop/report")
    page.get_by_label("What is wrong?").fill(REPORT)
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("your report went to the school's staff")).to_be_visible()

    # A lab solution that prints every payload, graded for real; lab-status.js draws it.
    page.goto(LAB)
    page.get_by_label("Or upload main.js").set_input_files(
        files=[
            {
                "name": "main.js",
                "mimeType": "text/javascript",
                "buffer": _solution_printing_payloads(),
            }
        ]
    )
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".submission-status .verdict")).to_contain_text(
        "Passed", timeout=GRADING_TIMEOUT_MS
    )
    output = page.locator(".submission-status .output")
    expect(output).to_contain_text(PAYLOADS[0])
    expect(output).to_contain_text(PAYLOADS[-1])
    _assert_inert(page, dialogs, "lab page, drawn by lab-status.js")
    submission_id = page.url.rsplit("submission=", 1)[1]
    # The same submission rendered by the server (a reload of the final state).
    page.goto(f"{LAB}?submission={submission_id}")
    expect(page.locator(".output").first).to_contain_text(PAYLOADS[0])
    _assert_inert(page, dialogs, "lab page, rendered by the server")
    page.goto("/notifications")
    expect(page.locator(".notification-message").first).to_have_text(
        "Achievement unlocked: Thread Master"
    )
    _assert_inert(page, dialogs, "notifications")
    violations = serious_accessibility_violations(page)
    if violations:
        accessibility["notifications"] = violations
    page.get_by_role("button", name="Log out").click()

    # The school admin's pages that show the student's name, report and output.
    _log_in(page, "admin@example.org", "admin-demo-pass")
    student_pages = {
        "users": "/admin/users",
        "progress": "/admin/progress",
        "reports": "/admin/reports",
        "submission": f"/admin/submissions/{submission_id}",
        "notifications": "/notifications",
    }
    for name, path in student_pages.items():
        page.goto(path)
        _assert_inert(page, dialogs, path)
        page.screenshot(path=str(artifacts / f"xss-admin-{name}.png"), full_page=True)
    expect(page.locator(".notification-message").first).to_contain_text("New error report on")
    page.goto("/admin/reports")
    expect(page.locator(".report-message").first).to_have_text(REPORT)
    page.goto("/admin/users")
    expect(page.get_by_text(NAME).first).to_be_visible()
    page.get_by_role("link", name="Notifications, 1 unread").click()
    violations = serious_accessibility_violations(page)
    if violations:
        accessibility["staff notifications"] = violations

    assert csp_violations == [], f"Content-Security-Policy violations: {csp_violations}"
    assert accessibility == {}
