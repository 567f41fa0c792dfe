"""Reading the course: what guests may see, steps and their completion, progress that
survives logging out, the profile page."""

from __future__ import annotations

import re

import pytest

from portal.models import StepCompletion, utc_now

STEPS = [
    "event-loop",
    "system-check",
    "worker-threads",
    "thread-lab",
    "lifecycle-sorting",
    "child-processes",
    "syntax-mastery",
    "wrap-up",
]
GATE = "Log in to access advanced coding simulations"


@pytest.mark.parametrize(("number", "step"), list(enumerate(STEPS, 1)))
def test_a_guest_reads_steps_one_and_two_only(browser, number, step):
    page = browser.client.get(f"/courses/node-workers/steps/{step}").get_data(as_text=True)
    assert f"Step {number} of 8" in page
    assert '<span id="exp-value">0</span> EXP' in page
    if number <= 2:
        assert GATE not in page
    else:
        assert GATE in page
        assert "Check answer" not in page


def progress_bar(page: str) -> tuple[str, str]:
    """The course bar's "K of N steps completed" label and its <progress> value."""
    label = re.search(r'<span id="sim-progress-label">([^<]*)</span>', page).group(1)
    value = re.search(r'<progress value="(\d+)" max="\d+" aria-labelledby="sim-progress', page)
    return label, value.group(1)


def test_a_guest_browsing_the_steps_does_not_fill_the_progress_bar(browser):
    for step in STEPS:
        page = browser.client.get(f"/courses/node-workers/steps/{step}").get_data(as_text=True)
        assert progress_bar(page) == ("0 of 8 steps completed", "0")


def test_the_progress_bar_counts_completed_steps_wherever_the_student_is(
    db, student, student_browser
):
    for step in STEPS[:3]:
        db.add(
            StepCompletion(
                tenant_id=student.tenant_id,
                user_id=student.id,
                course_id="node-workers",
                step_id=step,
                completed_at=utc_now(),
            )
        )
    db.commit()
    for path in ("steps/event-loop", "steps/wrap-up", "labs/thread-lab"):
        page = student_browser.client.get(f"/courses/node-workers/{path}").get_data(as_text=True)
        assert progress_bar(page) == ("3 of 8 steps completed", "3"), path


def test_labs_send_guests_to_a_login_that_says_why(browser):
    response = browser.client.get("/courses/node-workers/labs/thread-lab")
    assert response.status_code == 302
    login = browser.client.get(response.headers["Location"]).get_data(as_text=True)
    assert GATE in login


def test_the_course_page_lists_steps_labs_and_badges(browser):
    page = browser.client.get("/courses/node-workers").get_data(as_text=True)
    for title in ("One thread, one event loop", "Syntax Mastery", "Wrap-up", "Thread Master"):
        assert title in page
    assert "Last reviewed" in page and "Start the simulation" in page


def test_every_step_renders_for_a_student_without_inline_script(student_browser):
    for number, step in enumerate(STEPS, 1):
        page = student_browser.client.get(f"/courses/node-workers/steps/{step}").get_data(
            as_text=True
        )
        assert f"Step {number} of 8" in page
        assert "<script>" not in page and " onclick=" not in page and "style=" not in page
    wrap_up = student_browser.client.get("/courses/node-workers/steps/wrap-up").get_data(
        as_text=True
    )
    assert "Glossary" in wrap_up and "Unblocking the Loop" in wrap_up
    assert "<th>use</th>" in wrap_up  # the guide's Markdown table is a table


def test_a_step_completes_only_when_its_question_is_solved(student_browser):
    complete = "/courses/node-workers/steps/system-check/complete"
    form_page = "/courses/node-workers/steps/system-check"
    refused = student_browser.post_form(complete, {}, form_page=form_page)
    assert refused.headers["Location"].endswith("/steps/system-check")
    student_browser.post_form(
        "/courses/node-workers/questions/blocked-loop-requests/answer",
        {"choice": "wait-for-loop"},
        form_page=form_page,
    )
    done = student_browser.post_form(complete, {}, form_page=form_page)
    assert done.headers["Location"].endswith("/steps/worker-threads")
    page = student_browser.client.get("/courses/node-workers").get_data(as_text=True)
    assert "1 of 8 steps completed" in page and "Continue at step 1" in page


def test_progress_survives_logout_and_login(student_browser):
    form_page = "/courses/node-workers/steps/lifecycle-sorting"
    student_browser.post_form(
        "/courses/node-workers/questions/worker-lifecycle/answer",
        {"order": ["create", "run", "reply"]},
        form_page=form_page,
    )
    student_browser.post_form(
        "/courses/node-workers/steps/event-loop/complete", {}, form_page=form_page
    )
    student_browser.log_out()
    student_browser.log_in("ada@example.org", "correct horse battery")
    step = student_browser.client.get(form_page).get_data(as_text=True)
    assert "✓ Solved" in step
    assert '<span id="exp-value">50</span> EXP' in step
    profile = student_browser.client.get("/profile").get_data(as_text=True)
    assert "1 of 8 steps completed" in profile
    assert "Process Architect" in profile and "Unlocked" in profile
    assert "Level 1: Initiate" in profile and "50 EXP to level 2" in profile


def test_completing_every_step_unlocks_simulation_complete(student_browser, app, db, student):
    from portal.catalogue.catalogue import get_catalogue
    from portal.models import Submission
    from portal.questions.grading import reference_answer

    with app.app_context():
        course = get_catalogue().course("node-workers")
    db.add(
        Submission(
            tenant_id=student.tenant_id,
            user_id=student.id,
            course_id="node-workers",
            lab_id="thread-lab",
            code="x",
            entrypoint="main.js",
            status="graded",
            verdict="passed",
        )
    )
    db.commit()
    for step in course.steps:
        page = f"/courses/node-workers/steps/{step.id}"
        for question in step.questions:
            student_browser.post_form(
                f"/courses/node-workers/questions/{question.id}/answer",
                reference_answer(question),
                form_page=page,
            )
        last = student_browser.post_form(f"{page}/complete", {}, form_page=page)
    assert last.headers["Location"] == "/profile"
    profile = student_browser.client.get("/profile").get_data(as_text=True)
    assert "8 of 8 steps completed" in profile
    assert "Achievement unlocked" in profile and "Simulation Complete" in profile
