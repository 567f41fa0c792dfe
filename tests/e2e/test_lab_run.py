"""'Run before you submit' in Chromium: a student clicks Run and reads what the code printed.

The run goes through the real platform (web server, grader worker in Docker, web-worker);
the panel says it is not graded, shows the output as text (never as HTML) and the
measurements, and no EXP, attempt or submission follows. No page raises a CSP violation.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
RUN_TIMEOUT_MS = 120_000
CODE = "console.log('<b>hello</b> from my run');\n"


def test_a_student_runs_code_and_sees_its_output_not_graded(platform_url, chromium, artifacts):
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/auth/login")
    page.get_by_label("Email").fill("student@example.org")
    page.get_by_label("Password").fill("student-demo-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto("/courses/node-workers/labs/thread-lab")
    expect(page.locator(".run-panel")).to_be_hidden()
    page.locator(".CodeMirror-code").focus()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(CODE)
    page.wait_for_function(
        "() => document.querySelector('.CodeMirror').CodeMirror.getValue().includes('my run')"
    )
    exp_before = page.locator("#exp-value").inner_text()

    page.get_by_role("button", name="Run", exact=True).click()

    panel = page.locator(".run-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".not-graded")).to_have_text(
        "Not graded: no checks, no EXP, no attempt used."
    )
    expect(panel.locator(".run-outcome")).to_contain_text("Ran to the end", timeout=RUN_TIMEOUT_MS)
    # The output is text: the <b> the program printed is shown, never parsed.
    expect(panel.locator("pre.output")).to_contain_text("<b>hello</b> from my run")
    assert panel.locator("pre.output b").count() == 0
    expect(panel.locator(".run-measurements dt").first).to_have_text("Wall time")
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    page.screenshot(path=str(artifacts / "desktop-lab-run.png"), full_page=True)
    assert serious_accessibility_violations(page) == []

    # Nothing was graded: no EXP, no attempt, no submission in the history.
    assert page.locator("#exp-value").inner_text() == exp_before
    expect(page.locator(".history")).to_contain_text("No submissions yet.")
    page.reload()  # the run stays on show: the script put its id in the address
    expect(page.locator(".history")).to_contain_text("No submissions yet.")
    expect(panel.locator("pre.output")).to_contain_text("<b>hello</b> from my run")
    assert "my run" in page.evaluate(
        "() => document.querySelector('.CodeMirror').CodeMirror.getValue()"
    )  # and the editor still holds the code that ran
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts / "phone-lab-run.png"), full_page=True)
    assert serious_accessibility_violations(page) == []

    # A program that prints nothing gets words, not an empty black box (lab-run.js).
    page.locator(".CodeMirror-code").focus()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("const silent = 1;\n")
    page.wait_for_function(
        "() => document.querySelector('.CodeMirror').CodeMirror.getValue().includes('silent')"
    )
    page.get_by_role("button", name="Run", exact=True).click()
    expect(panel.locator(".output-empty")).to_have_text(
        "Your program printed nothing.", timeout=RUN_TIMEOUT_MS
    )
    assert panel.locator("pre.output").count() == 0
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
    context.close()
