"""A student walks the Python course in Chromium, its labs graded for real by the Python grader.

The school admin grants the demo student premium for this course (Async Gather is a
premium lab). The student opens the course from the catalogue beside the Node one and
takes its seven steps: the System Check right on the first try, a wrong answer first on
the others to read A.D.A.'s hint, the blanks filled in, the events of a gather ordered
with the keyboard. In Beat the GIL she first submits the same split over threads: the
Python grader (GRADER_ADAPTER=python, queue grading-python, the Python sandbox image)
fails it, and "Consult A.D.A." explains why from the GradeResult's diagnoses. Then the
course's reference solutions of both measured labs pass, with their EXP and achievements.

A measured lab may come back "Too noisy to judge" on a busy host, after the grader and
the queue have measured it again; she then submits again, as the page invites her to,
and the test asks for the verdict that code deserves, never accepting that one instead.
Every page is screenshotted (tests/e2e/artifacts/python-*.png) and checked with axe-core,
and none may raise a Content-Security-Policy violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import serious_accessibility_violations, watch_csp_violations

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "content" / "courses" / "python-concurrency" / "solutions"
BEAT_THE_GIL = (SOLUTIONS / "beat-the-gil.py").read_text()
ASYNC_GATHER = (SOLUTIONS / "async-gather.py").read_text()
# The mistake step 1 warns about: the same split, over threads of the main process.
ON_THREADS = BEAT_THE_GIL.replace("ProcessPoolExecutor", "ThreadPoolExecutor")
TITLE = "Python Concurrency: the GIL, Threads, Processes and asyncio"
COURSE = "/courses/python-concurrency"
DESKTOP = {"width": 1280, "height": 900}
STUDENT, STUDENT_PASSWORD = "student@example.org", "student-demo-pass"
# One grading with the grader's own re-measuring, then the queue's retries (10, 30, 60 s).
GRADING_TIMEOUT_MS = 300_000
SUBMISSIONS_PER_VERDICT = 3  # a "Too noisy to judge" costs no attempt: submit again
TOO_NOISY = "Too noisy to judge"


def check_page(page: Page, artifacts: Path, name: str, found: dict) -> None:
    """Screenshot the page as python-<name>.png and collect its serious a11y violations."""
    page.screenshot(path=str(artifacts / f"python-{name}.png"), full_page=True)
    violations = serious_accessibility_violations(page)
    if violations:
        found[name] = violations


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def expect_step(page: Page, number: int) -> None:
    expect(page.locator(".sim-progress")).to_contain_text(f"Step {number} of 7")


def complete_step(page: Page, next_number: int | None) -> None:
    page.get_by_role("button", name=re.compile("Complete step and continue|Finish")).click()
    if next_number is not None:
        expect_step(page, next_number)


def answer(page: Page, question: str) -> None:
    page.locator(f"#q-{question}").get_by_role("button", name="Check answer").click()


def expect_toast(page: Page, title: str) -> None:
    expect(page.locator("#toasts .toast-name", has_text=title)).to_be_visible()


def expect_exp(page: Page, exp: int) -> None:
    expect(page.locator("#exp-value")).to_have_text(str(exp))


def order_with_keyboard(page: Page, question: str, order: list[str]) -> None:
    """Move each item up into its place with Alt+ArrowUp, as a keyboard user does."""
    items = page.locator(f"#q-{question} .sortable-item")
    for place, item_id in enumerate(order):
        current = items.evaluate_all("(items) => items.map((item) => item.dataset.itemId)")
        item = page.locator(f'#q-{question} .sortable-item[data-item-id="{item_id}"]')
        for _ in range(current.index(item_id) - place):
            item.focus()
            page.keyboard.press("Alt+ArrowUp")
        expect(items.nth(place)).to_have_attribute("data-item-id", item_id)


def type_into_editor(page: Page, code: str) -> None:
    """Replace the editor's code with `code`, and wait until CodeMirror holds it exactly."""
    page.locator(".CodeMirror-code").focus()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)
    # CodeMirror reads what was typed into its contenteditable on its next input poll;
    # Python's indentation must arrive as typed.
    page.wait_for_function(
        "(code) => document.querySelector('.CodeMirror').CodeMirror.getValue().trim()"
        " === code.trim()",
        arg=code,
    )


def submit_until_judged(page: Page, code: str) -> str:
    """Submit `code` and return the final verdict's text; a verdict too noisy to judge
    (not counted, the page says so) is submitted again, up to SUBMISSIONS_PER_VERDICT."""
    verdict = ""
    for _ in range(SUBMISSIONS_PER_VERDICT):
        type_into_editor(page, code)
        with page.expect_navigation():
            page.get_by_role("button", name="Submit").click()
        panel = page.locator(".submission-status")
        expect(panel.locator(".verdict")).to_be_visible(timeout=GRADING_TIMEOUT_MS)
        verdict = panel.locator(".verdict").inner_text()
        if not verdict.startswith(TOO_NOISY):
            return verdict
    return verdict


def test_a_student_walks_the_python_course_graded_by_the_python_grader(
    platform_url, chromium, artifacts
):
    found: dict = {}
    context = chromium.new_context(viewport=DESKTOP, base_url=platform_url)
    csp_violations = watch_csp_violations(context)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # The school admin grants the student premium for this course only.
    log_in(page, "admin@example.org", "admin-demo-pass")
    page.get_by_role("link", name="Premium admin").click()
    page.get_by_label("Student's email").fill(STUDENT)
    grant = page.locator("form", has=page.get_by_role("button", name="Grant premium"))
    grant.get_by_label("Course").select_option(label=TITLE)
    grant.get_by_label("Why").fill("Python course pilot")
    grant.get_by_role("button", name="Grant premium").click()
    expect(page.locator(".premium-grants tbody tr", has_text=STUDENT)).to_contain_text(TITLE)
    check_page(page, artifacts, "premium-grant", found)
    page.get_by_role("button", name="Log out").click()

    # The catalogue lists both courses; the student opens the Python one.
    log_in(page, STUDENT, STUDENT_PASSWORD)
    page.goto("/")
    expect(
        page.get_by_role("link", name="Advanced Node.js: Workers & Child Processes")
    ).to_be_visible()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    check_page(page, artifacts, "course", found)
    page.get_by_role("link", name="Start the simulation").click()

    # 1. The GIL: the System Check, right on the first try.
    expect_step(page, 1)
    expect_exp(page, 0)
    page.get_by_label("About 8 seconds, as long as checking the 4 files one after").check()
    answer(page, "gil-compute-threads")
    feedback = page.locator("#feedback-gil-compute-threads")
    expect(feedback).to_contain_text("Correct")
    expect(feedback).to_contain_text("+50 EXP")
    expect_toast(page, "GIL Insight")
    expect_exp(page, 50)
    check_page(page, artifacts, "step-1", found)
    complete_step(page, 2)

    # 2. Threads for waiting: blanks, a wrong class first.
    executor = page.get_by_label("The class of a pool of threads, imported from concurrent.futures")
    again = page.get_by_label("The same class again, to create the pool")
    method = page.get_by_label("The pool's method that calls a function on every item")
    executor.fill("ProcessPoolExecutor")
    again.fill("ProcessPoolExecutor")
    method.fill("map")
    answer(page, "thread-pool-syntax")
    blanks = page.locator("#feedback-thread-pool-syntax")
    expect(blanks).to_contain_text("Hint:")
    expect(blanks).not_to_contain_text("ThreadPoolExecutor")
    check_page(page, artifacts, "step-2-hint", found)
    executor.fill("ThreadPoolExecutor")
    again.fill("ThreadPoolExecutor")
    answer(page, "thread-pool-syntax")
    expect(blanks).to_contain_text("Correct")
    expect_toast(page, "Pool Keeper")
    expect_exp(page, 100)
    check_page(page, artifacts, "step-2", found)
    complete_step(page, 3)

    # 3. Processes for computing: the __main__ guard, a wrong answer first.
    page.get_by_label("Pickle writes a different format on macOS").check()
    answer(page, "main-guard")
    guard = page.locator("#feedback-main-guard")
    expect(guard).to_contain_text("Hint:")
    page.get_by_label(re.compile("The Mac starts children with")).check()
    answer(page, "main-guard")
    expect(guard).to_contain_text("Correct")
    expect_exp(page, 125)
    check_page(page, artifacts, "step-3", found)
    complete_step(page, 4)

    # 4. Beat the GIL: the split over threads fails, and A.D.A. says why.
    page.get_by_role("link", name="Open the lab “Beat the GIL”").click()
    expect_step(page, 4)
    expect(page.get_by_text("Or upload main.py")).to_be_visible()
    expect(page.locator(".CodeMirror .cm-keyword").first).to_be_visible()  # Python, highlighted
    verdict = submit_until_judged(page, ON_THREADS)
    assert verdict.startswith("Not passed yet"), verdict
    status = page.locator(".submission-status")
    expect(status.locator(".feedback")).to_contain_text("A.D.A.")
    # The check reads as its title from the content, never as its name (work_ran_in_processes).
    title = page.get_by_text("The work runs in other processes", exact=True)
    work = status.locator(".checks li", has=title)
    expect(work).to_have_class("failed")
    expect(work).to_contain_text("the counting ran in the main process")
    expect_exp(page, 125)
    check_page(page, artifacts, "step-4-lab-failed", found)

    page.goto(COURSE)
    page.get_by_role("link", name="Consult A.D.A.").click()
    page.get_by_label("Your question").fill("Why did my Beat the GIL submission fail?")
    page.get_by_role("button", name="Ask A.D.A.").click()
    ada = page.locator(".ada-consultation").first.locator(".ada-answer")
    expect(ada).to_contain_text("Let's look at your latest Beat the GIL submission together.")
    # The diagnosis the grader sent: its cause, its evidence and its advice.
    expect(ada).to_contain_text(
        "The counting ran on threads of the main process, which take turns on the GIL."
    )
    expect(ada).to_contain_text("no child process was alive during the call")
    # A.D.A. names the failed check by its title, as the result panel does (issue 14).
    expect(ada).to_contain_text("“The work runs in other processes”")
    expect(ada).not_to_contain_text("work_ran_in_processes")
    expect(ada).to_contain_text("use a ProcessPoolExecutor or a multiprocessing Pool")
    check_page(page, artifacts, "ada-diagnosis", found)

    # ... and the reference solution passes, graded for real.
    page.goto(f"{COURSE}/labs/beat-the-gil")
    verdict = submit_until_judged(page, BEAT_THE_GIL)
    assert verdict.startswith("Passed"), verdict
    status = page.locator(".submission-status")
    expect(status.locator(".feedback")).to_contain_text("A.D.A.")
    expect(status.locator(".chart img")).to_be_visible()
    expect_toast(page, "GIL Breaker")
    expect_exp(page, 275)
    check_page(page, artifacts, "step-4-lab", found)
    page.get_by_role("link", name=re.compile("Back to step 4")).first.click()
    expect(page.locator(".lab-card")).to_contain_text("Passed")
    check_page(page, artifacts, "step-4", found)
    complete_step(page, 5)

    # 5. asyncio: the events of a gather, ordered with the keyboard; then the blanks.
    answer(page, "gather-lifecycle")  # the starting order is wrong
    ordering = page.locator("#feedback-gather-lifecycle")
    expect(ordering).to_contain_text("of 5 are in the right place")
    order_with_keyboard(
        page,
        "gather-lifecycle",
        ["loop-starts", "tasks-scheduled", "tasks-wait", "loop-resumes", "results-ordered"],
    )
    answer(page, "gather-lifecycle")
    expect(ordering).to_contain_text("Correct")
    expect_toast(page, "Await Master")
    page.get_by_label("The asyncio function that runs awaitables concurrently").fill("gather")
    page.get_by_label("The asyncio function that runs a synchronous call in a thread").fill(
        "to_thread"
    )
    page.get_by_label("The same function, for the second lookup").fill("to_thread")
    page.get_by_label("The same function, for the third lookup").fill("to_thread")
    answer(page, "to-thread-syntax")
    expect(page.locator("#feedback-to-thread-syntax")).to_contain_text("Correct")
    expect_exp(page, 375)
    check_page(page, artifacts, "step-5", found)

    # The premium Async Gather lab, opened by the grant.
    page.get_by_role("link", name="Open the lab “Async Gather”").click()
    verdict = submit_until_judged(page, ASYNC_GATHER)
    assert verdict.startswith("Passed"), verdict
    expect_toast(page, "Loop Conductor")
    expect_exp(page, 525)
    check_page(page, artifacts, "step-5-lab", found)
    page.get_by_role("link", name=re.compile("Back to step 5")).first.click()
    complete_step(page, 6)

    # 6. Choosing: thumbnails (a wrong answer first), then the requests on the first try.
    page.get_by_label("A ThreadPoolExecutor with 8 threads").check()
    answer(page, "choose-thumbnails")
    thumbnails = page.locator("#feedback-choose-thumbnails")
    expect(thumbnails).to_contain_text("Hint:")
    page.get_by_label("A ProcessPoolExecutor with 8 processes").check()
    answer(page, "choose-thumbnails")
    expect(thumbnails).to_contain_text("Correct")
    page.get_by_label(re.compile("asyncio, with the requests gathered and an")).check()
    answer(page, "choose-api-calls")
    expect(page.locator("#feedback-choose-api-calls")).to_contain_text("Correct")
    expect_toast(page, "Right Tool")
    expect_exp(page, 575)
    check_page(page, artifacts, "step-6", found)
    complete_step(page, 7)

    # 7. Wrap-up, then the profile with the course completed.
    expect(page.get_by_role("heading", name="Glossary")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Waiting or Computing?"))).to_be_visible()
    check_page(page, artifacts, "step-7", found)
    complete_step(page, None)
    expect(page.get_by_role("heading", name=re.compile("Level"))).to_be_visible()
    expect(page.locator("#course-python-concurrency-progress")).to_have_text(
        "7 of 7 steps completed"
    )
    expect_toast(page, "Concurrency Graduate")
    expect_exp(page, 675)  # every question and lab, and the graduate's bonus of 100
    check_page(page, artifacts, "profile", found)
    context.close()

    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"
    assert not found, f"serious or critical accessibility violations: {found}"
