"""What the lab page says to a student around a submission: where to go next, the result's
words, and only what there is to show."""

from __future__ import annotations

import contract
from portal.ada.facts import SubmissionFacts
from portal.jobs import record_result
from portal.labs.status import VERDICT_LABELS
from portal.models import StepCompletion, utc_now

LAB = "/courses/node-workers/labs/thread-lab"
BACK_TO_STEP = "Back to step 4 to complete it"


def record(app, submission, student, make_grade_result, verdict="passed", **changes):
    result = make_grade_result(str(submission.id), str(student.tenant_id), verdict, **changes)
    with app.app_context():
        record_result(contract.encode(result))


def test_back_to_the_step_only_once_the_lab_is_passed_and_the_step_is_not_complete(
    app, db, student, student_browser, submission, make_grade_result
):
    assert BACK_TO_STEP not in student_browser.client.get(LAB).get_data(as_text=True)
    record(app, submission, student, make_grade_result, "failed", score=0.5)
    assert BACK_TO_STEP not in student_browser.client.get(LAB).get_data(as_text=True)

    submission_two = type(submission)(
        tenant_id=student.tenant_id,
        user_id=student.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log(2)",
        entrypoint="main.js",
    )
    db.add(submission_two)
    db.commit()
    record(app, submission_two, student, make_grade_result)
    assert BACK_TO_STEP in student_browser.client.get(LAB).get_data(as_text=True)

    db.add(
        StepCompletion(
            tenant_id=student.tenant_id,
            user_id=student.id,
            course_id="node-workers",
            step_id="thread-lab",
            completed_at=utc_now(),
        )
    )
    db.commit()
    assert BACK_TO_STEP not in student_browser.client.get(LAB).get_data(as_text=True)


def test_a_program_that_printed_nothing_gets_words_not_an_empty_box(
    app, student, student_browser, submission, make_grade_result
):
    silent = contract.Output("", False, 0)
    record(app, submission, student, make_grade_result, "failed", output=silent)
    page = student_browser.client.get(f"{LAB}?submission={submission.id}").get_data(as_text=True)
    assert "Your program printed nothing." in page
    assert '<pre class="output">' not in page


def test_a_program_that_printed_something_shows_it(
    app, student, student_browser, submission, make_grade_result
):
    record(app, submission, student, make_grade_result)
    page = student_browser.client.get(f"{LAB}?submission={submission.id}").get_data(as_text=True)
    assert '<pre class="output">hello from &lt;worker&gt;\n</pre>' in page
    assert "printed nothing" not in page


def test_the_panel_and_the_history_say_a_verdict_in_the_same_words(
    app, student, student_browser, submission, make_grade_result
):
    record(app, submission, student, make_grade_result, "failed", score=0.75)
    page = student_browser.client.get(f"{LAB}?submission={submission.id}").get_data(as_text=True)
    panel = page.split('class="verdict verdict-failed">', 1)[1].split("</p>", 1)[0]
    history = page.split('data-field="result">', 1)[1].split("</td>", 1)[0]
    assert panel == history == "Not passed yet — 75%"
    status = student_browser.client.get(
        f"/submissions/{submission.id}/status", headers={"Accept": "application/json"}
    ).get_json()
    assert status["verdict_text"] == "Not passed yet — 75%"  # what lab-status.js shows in both


def test_checks_read_as_their_titles_with_markdown_rendered_safely(
    app, student, student_browser, submission, make_grade_result
):
    checks = (
        contract.CheckResult(
            "imports_worker_threads",
            False,
            "Load the `worker_threads` module first. <img src=x onerror=alert(1)>",
        ),
    )
    feedback = "Close, but not there yet.\nStart here: load the `worker_threads` module."
    record(app, submission, student, make_grade_result, "failed", checks=checks, feedback=feedback)
    page = student_browser.client.get(f"{LAB}?submission={submission.id}").get_data(as_text=True)
    assert "<strong>Loads the <code>worker_threads</code> module</strong>" in page
    assert "Load the <code>worker_threads</code> module first. &lt;img src=x" in page
    assert "<img src=x" not in page and "imports_worker_threads" not in page
    assert "`" not in page.split('class="submission-status"', 1)[1].split("</section>", 1)[0]
    assert (
        "<h3>A.D.A. says</h3><p>Close, but not there yet.</p>\n"
        "<p>Start here: load the <code>worker_threads</code> module.</p>"
    ) in page


def test_a_verdict_brings_the_parts_of_the_page_it_changes_for_the_script_to_swap_in(
    app, student, student_browser, submission, make_grade_result
):
    """Issue 14: "Back to step N to complete it" appeared only after a reload. The page keeps
    an element of each id whatever it shows; the final status carries their new state."""
    client = student_browser.client
    page = client.get(LAB).get_data(as_text=True)
    for part in ('id="lab-passed-mark"', 'id="lab-step-actions"', 'id="course-bar"'):
        assert part in page
    assert BACK_TO_STEP not in page
    status_url = f"/submissions/{submission.id}/status"
    in_flight = client.get(status_url, headers={"Accept": "application/json"}).get_json()
    assert "progress_html" not in in_flight

    record(app, submission, student, make_grade_result)
    status = client.get(status_url, headers={"Accept": "application/json"}).get_json()

    parts = status["progress_html"]
    assert '<span id="lab-passed-mark"> <span class="done-mark">✓ passed</span></span>' in parts
    step_actions = parts.split('<div id="lab-step-actions">', 1)[1].split("</div>", 1)[0]
    assert BACK_TO_STEP in step_actions
    assert 'href="/courses/node-workers/steps/' in step_actions
    assert '<div class="course-bar" id="course-bar">' in parts
    # The same as the page a reload draws.
    reloaded = client.get(LAB).get_data(as_text=True)
    assert step_actions in reloaded


def test_a_verdict_that_did_not_pass_brings_no_way_back_to_the_step(
    app, student, student_browser, submission, make_grade_result
):
    record(app, submission, student, make_grade_result, "timeout", score=0.0)
    status = student_browser.client.get(
        f"/submissions/{submission.id}/status", headers={"Accept": "application/json"}
    ).get_json()
    assert BACK_TO_STEP not in status["progress_html"]
    assert "✓ passed" not in status["progress_html"]


def test_a_fork_bomb_reads_as_the_process_limit_in_the_panel_the_history_and_for_ada(
    app, student, student_browser, submission, make_grade_result
):
    limit = (
        "Stopped: your program started more processes and threads than the sandbox allows "
        "(at most 64)."
    )
    checks = (contract.CheckResult("exits_cleanly", False, limit),)
    record(
        app,
        submission,
        student,
        make_grade_result,
        "process_limit_exceeded",
        score=0.0,
        checks=checks,
        feedback=f"Your program started too many processes. {limit}",
    )
    page = student_browser.client.get(f"{LAB}?submission={submission.id}").get_data(as_text=True)
    panel = page.split('class="verdict verdict-process_limit_exceeded">', 1)[1].split("</p>", 1)[0]
    history = page.split('data-field="result">', 1)[1].split("</td>", 1)[0]
    assert panel == history == "Process limit reached — 0%"
    assert "(at most 64)" in page
    facts = SubmissionFacts(submission.id, "thread-lab", "Thread Lab", "process_limit_exceeded")
    assert facts.verdict_sentence() == (
        "Your latest submission to Thread Lab started more processes than the sandbox allows."
    )


def test_every_verdict_has_its_own_words_on_the_page_and_for_ada():
    assert set(VERDICT_LABELS) == set(contract.VERDICTS)
    for verdict in contract.VERDICTS:
        sentence = SubmissionFacts(1, "thread-lab", "Thread Lab", verdict).verdict_sentence()
        assert f"ended as {verdict}" not in sentence, sentence
