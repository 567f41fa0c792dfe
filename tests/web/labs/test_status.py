"""Following a submission: queued -> running -> graded, as the page's script sees it."""

from __future__ import annotations

import dataclasses

from rq import Worker
from rq.job import JobStatus
from rq.serializers import JSONSerializer

import contract
from portal.labs.status import NO_GRADER_YET

JSON = {"Accept": "application/json"}


def test_status_goes_from_queued_to_running_to_graded(
    student_browser, student, grading_queue, results_queue, app, make_grade_result
):
    response = student_browser.submit_code("console.log('hi')")
    assert response.status_code == 302
    url = "/submissions/1/status"

    queued = student_browser.client.get(url, headers=JSON)
    assert queued.status_code == 200
    assert queued.headers["Cache-Control"] == "no-store"
    assert queued.json["status"] == "queued" and queued.json["final"] is False
    assert queued.json["notice"] == NO_GRADER_YET  # no grader runs in this test

    job = grading_queue.fetch_job(contract.grade_job_id("1"))
    job.set_status(JobStatus.STARTED)  # what a grader's worker does when it takes the job
    running = student_browser.client.get(url, headers=JSON).json
    assert running["status"] == "running" and running["final"] is False

    # The grader publishes its result; the web-worker records it.
    result = make_grade_result("1", str(student.tenant_id))
    results_queue.enqueue(
        contract.RECORD_RESULT_JOB,
        contract.encode(result),
        job_id=contract.result_job_id("1"),
    )
    cli = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert cli.exit_code == 0, cli.output

    graded = student_browser.client.get(url, headers=JSON).json
    assert graded["status"] == "graded" and graded["final"] is True
    assert graded["verdict"] == "passed" and graded["score_percent"] == 100
    assert graded["counts"] is True
    assert graded["feedback"] == "Well done, the event loop stayed free."
    assert graded["checks"][1] == {
        "name": "sends_message",
        "passed": True,
        "message": "<b>A message</b> crossed.",
        "inconclusive": False,
        # The title from the lab's content; title and message as sanitised HTML.
        "title": "Sends a message with `postMessage`",
        "title_html": "Sends a message with <code>postMessage</code>",
        "message_html": "&lt;b&gt;A message&lt;/b&gt; crossed.",
    }
    assert graded["output"] == {
        "text": "hello from <worker>\n",
        "truncated": False,
        "bytes_total": 20,
    }
    assert graded["achievements"] == ["thread-master"]

    page = student_browser.client.get("/courses/node-workers/labs/thread-lab").get_data(
        as_text=True
    )
    assert 'data-final="true"' in page
    assert "&lt;b&gt;A message&lt;/b&gt; crossed." in page  # grader text is escaped too
    assert "hello from &lt;worker&gt;" in page
    assert "Achievement unlocked: Thread Master" in page


def test_an_infra_error_is_shown_as_not_counted(
    student_browser, student, results_queue, app, make_grade_result
):
    student_browser.submit_code("console.log('hi')")
    result = make_grade_result(
        "1", str(student.tenant_id), "infra_error", score=0.0, feedback="docker daemon down"
    )
    results_queue.enqueue(contract.RECORD_RESULT_JOB, contract.encode(result))
    assert app.test_cli_runner().invoke(args=["results-worker", "--burst"]).exit_code == 0

    graded = student_browser.client.get("/submissions/1/status", headers=JSON).json
    assert graded["status"] == "graded" and graded["verdict"] == "infra_error"
    assert graded["counts"] is False
    assert graded["feedback"] == (
        "Grading is temporarily unavailable; this attempt does not count."
    )
    assert graded["achievements"] == []
    # It is no longer in flight: the student can submit again at once.
    for _ in range(3):
        assert student_browser.submit_code("console.log(2)").status_code == 302


def test_a_retry_for_noisy_measurements_is_shown_as_measuring_again(student_browser, grading_queue):
    student_browser.submit_code("console.log('hi')")
    job = grading_queue.fetch_job(contract.grade_job_id("1"))
    # What the grader does when its measurements stayed inconclusive: mark, then let RQ retry.
    job.meta[contract.REMEASURING_META] = True
    job.save_meta()
    job.set_status(JobStatus.SCHEDULED)
    waiting = student_browser.client.get("/submissions/1/status", headers=JSON).json
    assert waiting["status"] == "remeasuring" and waiting["final"] is False
    assert "Measuring again" in waiting["status_label"]
    assert "does not count" in waiting["status_label"]


def test_an_inconclusive_result_shows_its_checks_and_does_not_count(
    student_browser, student, results_queue, app, make_grade_result
):
    student_browser.submit_code("console.log('hi')")
    noisy = contract.CheckResult(
        "speeds_up", False, "The grader's own split reached only 0.8x.", inconclusive=True
    )
    result = make_grade_result(
        "1",
        str(student.tenant_id),
        "inconclusive",
        score=0.0,
        gradable=False,
        checks=(noisy,),
        feedback="The measurements were too noisy to judge; this attempt does not count.",
        achievements=(),
    )
    results_queue.enqueue(contract.RECORD_RESULT_JOB, contract.encode(result))
    assert app.test_cli_runner().invoke(args=["results-worker", "--burst"]).exit_code == 0

    graded = student_browser.client.get("/submissions/1/status", headers=JSON).json
    assert graded["final"] is True and graded["verdict"] == "inconclusive"
    assert graded["verdict_label"] == "Too noisy to judge"
    assert graded["counts"] is False
    assert graded["feedback"] == result.feedback  # why, in the grader's words
    (shown,) = graded["checks"]
    assert {key: shown[key] for key in dataclasses.asdict(noisy)} == dataclasses.asdict(noisy)
    assert graded["achievements"] == []
    for _ in range(3):  # not in flight, not an attempt: the student may submit again at once
        assert student_browser.submit_code("console.log(2)").status_code == 302


def test_another_student_cannot_see_someone_elses_submission(
    student_browser, make_user, make_browser, app
):
    student_browser.submit_code("const secret = 42;")
    make_user("mallory@example.org", "mallory's long password", "Mallory")
    mallory = make_browser(app)
    assert mallory.log_in("mallory@example.org", "mallory's long password").status_code == 302

    assert mallory.client.get("/submissions/1/status", headers=JSON).status_code == 404
    page = mallory.client.get("/courses/node-workers/labs/thread-lab?submission=1")
    assert page.status_code == 200
    assert "secret = 42" not in page.get_data(as_text=True)
    assert "Submission #1" not in page.get_data(as_text=True)


def test_previous_submissions_are_listed_newest_first(student_browser):
    for n in range(2):
        student_browser.submit_code(f"console.log({n})")
    page = student_browser.client.get("/courses/node-workers/labs/thread-lab").get_data(
        as_text=True
    )
    assert page.index('data-submission-id="2"') < page.index('data-submission-id="1"')
    assert "Submission #2" in page  # the latest one's status is shown


def test_a_queued_submission_says_so_while_no_grader_takes_its_labs_jobs(
    student_browser, grading_queue
):
    submitted = student_browser.submit_code("console.log('hi')")
    assert submitted.status_code == 302
    url = "/submissions/1/status"

    waiting = student_browser.client.get(url, headers=JSON).json
    assert waiting["status"] == "queued" and waiting["notice"] == NO_GRADER_YET
    page = student_browser.client.get(submitted.headers["Location"]).get_data(as_text=True)
    assert NO_GRADER_YET in page

    # A grader starts on the lab's queue (as `grader worker` registers itself).
    worker = Worker([grading_queue], connection=grading_queue.connection, serializer=JSONSerializer)
    worker.register_birth()
    try:
        listened = student_browser.client.get(url, headers=JSON).json
    finally:
        worker.register_death()
    assert listened["status"] == "queued" and listened["notice"] is None
