"""A new student lives the whole course in Chromium, as the issue tells it.

Register, log in, walk the eight steps: one wrong answer first on every question to see
A.D.A.'s hint, the lifecycle ordered with the keyboard only, a Thread Lab solution graded
for real in Docker (verdict, EXP and the achievement toast), the wrap-up. Every step is
screenshotted on a desktop and on a phone and checked with axe-core, and every page the
browser opens must raise no Content-Security-Policy violation (no inline script or style
that the policy would refuse).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
THREAD_LAB_SOLUTION = REPO / "content" / "courses" / "node-workers" / "solutions" / "thread-lab.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
EMAIL, NAME, PASSWORD = "lin@example.org", "Lin", "a long enough password"
GRADING_TIMEOUT_MS = 120_000


def check_page(page: Page, artifacts: Path, name: str, found: dict) -> None:
    """Screenshot the page and collect its serious accessibility violations."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    violations = serious_accessibility_violations(page)
    if violations:
        found[name] = violations


def assert_no_csp_violations(violations: list) -> None:
    """Every page so far satisfied the Content-Security-Policy (listed by page if not)."""
    assert not violations, f"Content-Security-Policy violations: {violations}"


def expect_step(page: Page, number: int) -> None:
    expect(page.locator(".sim-progress")).to_contain_text(f"Step {number} of 8")
    expect(page.locator(".exp-counter")).to_be_visible()


def complete_step(page: Page, next_number: int | None) -> None:
    page.get_by_role("button", name=re.compile("Complete step and continue|Finish")).click()
    if next_number is not None:
        expect_step(page, next_number)


def answer(page: Page, question: str) -> None:
    page.locator(f"#q-{question}").get_by_role("button", name="Check answer").click()


def exp_shown(page: Page) -> str:
    return page.locator("#exp-value").inner_text()


def expect_toast(page: Page, title: str) -> None:
    expect(page.locator("#toasts .toast-name", has_text=title)).to_be_visible()


def test_a_new_student_walks_through_the_whole_course(platform_url, chromium, artifacts):
    found: dict = {}
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # Registration, which signs in.
    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Display name").fill(NAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("your account is ready")).to_be_visible()  # and signed in
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("link", name="Advanced Node.js: Workers & Child Processes").click()
    check_page(page, artifacts, "desktop-course", found)
    page.get_by_role("link", name="Start the simulation").click()

    # 1. The single thread: a runnable example with its output, highlighted.
    expect_step(page, 1)
    expect(page.locator("pre.code.cm-s-default").first).to_be_visible()
    expect(page.get_by_text("timer: late, the loop was blocked").first).to_be_visible()
    assert exp_shown(page) == "0"
    check_page(page, artifacts, "desktop-step-1", found)
    complete_step(page, 2)

    # 2. System Check: a wrong answer first, for the hint.
    page.get_by_label("They are rejected at once with an error.").check()
    answer(page, "blocked-loop-requests")
    feedback = page.locator("#feedback-blocked-loop-requests")
    expect(feedback).to_contain_text("Not quite")
    expect(feedback).to_contain_text("Hint:")
    expect(feedback).not_to_contain_text("They wait")
    check_page(page, artifacts, "desktop-step-2-hint", found)
    badge = page.locator("#q-blocked-loop-requests-badge")
    expect(badge).to_have_text("+50 EXP")
    page.get_by_label("They wait, unanswered").check()
    answer(page, "blocked-loop-requests")
    expect(feedback).to_contain_text("Correct")
    expect(badge).to_have_text("✓ Solved")  # in place, without a reload
    expect(feedback).to_contain_text("+50 EXP")
    expect(page.locator("#exp-value")).to_have_text("50")
    check_page(page, artifacts, "desktop-step-2", found)
    complete_step(page, 3)

    # 3. Worker threads.
    expect(page.get_by_role("heading", name="Worker threads")).to_be_visible()
    check_page(page, artifacts, "desktop-step-3", found)
    complete_step(page, 4)

    # 4. Thread Lab: code in the editor, graded for real.
    page.get_by_role("link", name="Open the Thread Lab").click()
    expect_step(page, 4)
    editor = page.locator(".CodeMirror")
    expect(editor).to_be_visible()
    expect(page.locator(".CodeMirror .cm-keyword").first).to_be_visible()  # highlighted
    page.locator(".CodeMirror-code").focus()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(THREAD_LAB_SOLUTION.read_text())
    # CodeMirror reads what was typed into its contenteditable on its next input poll.
    page.wait_for_function(
        "() => { const code = document.querySelector('.CodeMirror').CodeMirror.getValue();"
        " return code.includes('new Worker(__filename);') && !code.includes('// Main'); }"
    )
    streams: list[str] = []
    page.on(
        "request", lambda request: streams.append(request.url) if "/events" in request.url else None
    )
    page.get_by_role("button", name="Submit").click()
    panel = page.locator(".submission-status")
    verdict = page.locator(".submission-status .verdict")
    expect(verdict).to_contain_text("Passed", timeout=GRADING_TIMEOUT_MS)
    # Pushed on the submission's event stream: the page never had to fall back to polling.
    expect(panel).to_have_attribute("data-following", "push")
    assert any(url.endswith("/submissions/1/events") for url in streams), streams
    expect(page.locator(".submission-status .feedback")).to_contain_text("A.D.A.")
    expect_toast(page, "Thread Master")
    expect(page.locator("#exp-value")).to_have_text("150")
    # What the pass changed around the panel is drawn in place, without a reload.
    expect(page.locator("h1 .done-mark")).to_have_text("✓ passed")
    back = page.get_by_role("link", name="Back to step 4 to complete it")
    expect(back).to_be_visible()
    check_page(page, artifacts, "desktop-step-4-lab", found)
    # With the stream cut (a proxy that refuses it), the verdict comes by polling instead.
    page.route("**/submissions/*/events", lambda route: route.abort())
    page.get_by_role("button", name="Submit").click()
    expect(panel.locator("h2")).to_have_text("Submission #2")
    expect(panel).to_have_attribute("data-following", "polling")
    expect(verdict).to_contain_text("Passed", timeout=GRADING_TIMEOUT_MS)
    page.unroute("**/submissions/*/events")
    back.click()
    expect(page.locator(".lab-card")).to_contain_text("Passed")
    check_page(page, artifacts, "desktop-step-4", found)
    complete_step(page, 5)

    # 5. Lifecycle Sorting, with the keyboard only.
    items = page.locator("#q-worker-lifecycle .sortable-item")
    expect(items.first).to_contain_text("runs its code in parallel")
    answer(page, "worker-lifecycle")  # the starting order is wrong
    ordering_feedback = page.locator("#feedback-worker-lifecycle")
    expect(ordering_feedback).to_contain_text("1 of 3 are in the right place")
    items.first.focus()
    for _ in range(3):  # the first item, its two Move buttons, then the second item
        page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.dataset.itemId")
    assert focused == "create"
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#q-worker-lifecycle [data-announcer]")).to_contain_text("position 1 of 3")
    expect(items.first).to_contain_text("creates the worker")
    for _ in range(12):  # Tab on through the items and their buttons to "Check answer"
        if page.evaluate("document.activeElement.textContent.trim()") == "Check answer":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Check answer"
    page.keyboard.press("Enter")
    expect(ordering_feedback).to_contain_text("Correct")
    expect_toast(page, "Process Architect")
    check_page(page, artifacts, "desktop-step-5", found)
    complete_step(page, 6)

    # 6. Child processes: spawn or exec?
    page.get_by_label(re.compile(r"exec\('backup")).check()
    answer(page, "spawn-or-exec")
    expect(page.locator("#feedback-spawn-or-exec")).to_contain_text("Hint:")
    page.get_by_label(re.compile(r"spawn\('backup")).check()
    answer(page, "spawn-or-exec")
    expect(page.locator("#feedback-spawn-or-exec")).to_contain_text("Correct")
    check_page(page, artifacts, "desktop-step-6", found)
    complete_step(page, 7)

    # 7. Syntax Mastery: fill the blanks.
    start = page.get_by_label("The function that starts the command and streams its output")
    listen = page.get_by_label("The method that registers a listener for an event")
    start.fill("exec")
    listen.fill("on")
    answer(page, "spawn-stream-syntax")
    blanks_feedback = page.locator("#feedback-spawn-stream-syntax")
    expect(blanks_feedback).to_contain_text("Hint:")
    expect(blanks_feedback).not_to_contain_text("spawn(")
    start.fill("spawn")
    answer(page, "spawn-stream-syntax")
    expect(blanks_feedback).to_contain_text("Correct")
    expect_toast(page, "Concurrency Wizard")
    check_page(page, artifacts, "desktop-step-7", found)
    complete_step(page, 8)

    # 8. Wrap-up: glossary and guide, then the profile.
    expect(page.get_by_role("heading", name="Glossary")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Unblocking the Loop"))).to_be_visible()
    check_page(page, artifacts, "desktop-step-8", found)
    complete_step(page, None)
    expect(page.get_by_role("heading", name=re.compile("Level"))).to_be_visible()
    expect(page.locator("#course-node-workers-progress")).to_have_text("8 of 8 steps completed")
    expect_toast(page, "Simulation Complete")
    exp = int(exp_shown(page))
    assert exp == 50 + 100 + 50 + 25 + 75 + 100
    check_page(page, artifacts, "desktop-profile", found)
    assert_no_csp_violations(csp_violations)

    # The same pages on a phone, with the progress kept across a new login.
    context.close()
    phone = chromium.new_context(
        viewport=PHONE, base_url=platform_url, is_mobile=True, has_touch=True
    )
    watch_csp_violations(phone, csp_violations)
    page = phone.new_page()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for number, step in enumerate(
        [
            "event-loop",
            "system-check",
            "worker-threads",
            "thread-lab",
            "lifecycle-sorting",
            "child-processes",
            "syntax-mastery",
            "wrap-up",
        ],
        1,
    ):
        page.goto(f"/courses/node-workers/steps/{step}")
        expect_step(page, number)
        expect(page.locator("#exp-value")).to_have_text(str(exp))
        check_page(page, artifacts, f"phone-step-{number}", found)
    page.goto("/courses/node-workers/labs/thread-lab")
    check_page(page, artifacts, "phone-step-4-lab", found)
    page.goto("/profile")
    check_page(page, artifacts, "phone-profile", found)
    phone.close()

    assert_no_csp_violations(csp_violations)
    assert not found, f"serious or critical accessibility violations: {found}"


def test_a_guest_reads_step_one_answers_the_system_check_and_meets_the_gate(
    platform_url, chromium, artifacts
):
    found: dict = {}
    context = chromium.new_context(viewport=PHONE, base_url=platform_url, is_mobile=True)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.goto("/courses/node-workers/steps/event-loop")
    expect_step(page, 1)
    check_page(page, artifacts, "guest-step-1", found)
    page.get_by_role("link", name="Next step").click()
    page.get_by_label("They wait, unanswered").check()
    answer(page, "blocked-loop-requests")
    expect(page.locator("#feedback-blocked-loop-requests")).to_contain_text(
        "Log in to keep your progress"
    )
    page.get_by_role("link", name="Next step").click()
    expect(
        page.get_by_role("heading", name="Log in to access advanced coding simulations")
    ).to_be_visible()
    check_page(page, artifacts, "guest-step-3", found)

    # A forgotten password: the same answer for any email, on pages the CSP is happy with.
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    check_page(page, artifacts, "guest-forgot-password", found)
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If an account with this email exists here")).to_be_visible()
    page.goto("/auth/reset?token=not-a-real-token")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    check_page(page, artifacts, "guest-reset-link-refused", found)
    context.close()
    assert_no_csp_violations(csp_violations)
    assert not found, f"serious or critical accessibility violations: {found}"
