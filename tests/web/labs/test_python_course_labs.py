"""The Python course ships beside the Node one: listed, readable, and its labs graded by the
Python grader, whose queue the portal's default GRADER_QUEUES names (grading-python).

The portal knows neither language: a lab's `grader: python-sandbox` and that setting are
all that send a submission to the right queue.
"""

from __future__ import annotations

import re
from pathlib import Path

from rq import Queue
from rq.serializers import JSONSerializer

import contract
from portal.catalogue.loader import load_catalogue
from portal.graders import grader_queues_from_env
from portal.models import Submission
from portal.premium.entitlements import grant_to_user
from tests.web.premium.premium_support import count

COURSE = "/courses/python-concurrency"
# The course's steps as the content declares them (their ids and order are
# tests/content/test_python_concurrency_course.py's to check).
STEPS = [
    step.id
    for step in load_catalogue(
        Path(__file__).resolve().parents[3] / "content", grader_queues_from_env({})
    )
    .course("python-concurrency")
    .steps
]
CODE = "def parallel_count(start, stop, workers):\n    return 0\n"


def python_queue(redis_connection) -> Queue:
    return Queue("grading-python", connection=redis_connection, serializer=JSONSerializer)


def submit(browser, lab_id: str):
    token = browser.csrf_token(f"{COURSE}/labs/beat-the-gil")
    return browser.client.post(
        f"{COURSE}/labs/{lab_id}",
        data={"code": CODE, "csrf_token": token},
        content_type="multipart/form-data",
    )


def test_the_catalogue_lists_both_courses_and_every_python_step_opens(student_browser):
    index = student_browser.client.get("/").get_data(as_text=True)
    assert "Advanced Node.js: Workers &amp; Child Processes" in index
    assert "Python Concurrency: the GIL, Threads, Processes and asyncio" in index
    course = student_browser.client.get(COURSE).get_data(as_text=True)
    assert f'href="{COURSE}/labs/beat-the-gil"' in course
    assert STEPS, "the course declares no step"
    for number, step in enumerate(STEPS, 1):
        page = student_browser.client.get(f"{COURSE}/steps/{step}")
        assert page.status_code == 200, step
        assert f"Step {number} of {len(STEPS)}" in page.get_data(as_text=True)


def test_the_python_lab_page_edits_and_takes_main_py(student_browser):
    page = student_browser.client.get(f"{COURSE}/labs/beat-the-gil").get_data(as_text=True)
    assert "Or upload main.py" in page and "main.js" not in page
    assert 'accept=".py"' in page
    # The editor picks its language from the file's name (static/code-editor.js).
    assert re.search(r'<textarea[^>]*data-filename="main.py"', page)
    assert "/static/vendor/codemirror/mode/python/python.js" in page


def test_a_beat_the_gil_submission_goes_on_the_python_graders_queue(
    student_browser, redis_connection, grading_queue
):
    response = submit(student_browser, "beat-the-gil")

    assert response.status_code == 302, response.get_data(as_text=True)
    queue = python_queue(redis_connection)
    assert (queue.count, grading_queue.count) == (1, 0)
    request = contract.decode(contract.GradeRequest, queue.jobs[0].args[0])
    assert (request.lab_id, request.lab_kind, request.entrypoint) == (
        "beat-the-gil",
        "beat-the-gil",
        "main.py",
    )
    assert request.files == (contract.SubmittedFile("main.py", CODE),)


def test_async_gather_needs_premium_for_this_course(
    student_browser, student, db, default_school, redis_connection
):
    assert submit(student_browser, "async-gather").status_code == 403
    grant_to_user(db, default_school, None, student.email, None, "test", "node-workers")
    assert submit(student_browser, "async-gather").status_code == 403
    assert count(db, Submission) == 0

    grant_to_user(db, default_school, None, student.email, None, "test", "python-concurrency")
    assert submit(student_browser, "async-gather").status_code == 302
    assert count(db, Submission) == 1
    assert python_queue(redis_connection).count == 1
