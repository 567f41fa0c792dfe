"""'Run before you submit' through the real queue, a real grader worker and real Docker.

The student presses Run: the run waits on the lab's grading queue, a real `grader worker`
runs it in the sandbox, the web-worker records the result, and the status the page polls
has the output and the measurements. No submission, no EXP, no achievement follow.
"""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.models import AchievementAward, ExpEntry, LabRun, Submission
from portal.premium.entitlements import grant_to_user

SOLUTIONS = Path(__file__).parents[3] / "content" / "courses" / "node-workers" / "solutions"
LABS = "/courses/node-workers/labs"

pytestmark = pytest.mark.docker


def run_results_worker(app) -> None:
    outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert outcome.exit_code == 0, outcome.output


def press_run(browser, lab_id: str, code: str) -> str:
    token = browser.csrf_token(f"{LABS}/{lab_id}")
    response = browser.client.post(
        f"{LABS}/{lab_id}/run",
        data={"code": code, "csrf_token": token},
        headers={"Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["status_url"]


def assert_container_removed(docker_client, status_url: str) -> None:
    """The run's own container is gone (other suites' containers may come and go meanwhile)."""
    run_id = status_url.split("/")[2]
    label = f"org.course-platform.submission=run-{run_id}"
    assert docker_client.containers.list(all=True, sparse=True, filters={"label": label}) == []


def rows(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_a_thread_lab_run_comes_back_with_its_output_and_loop_delay(
    app, student_browser, db, run_grader_worker, docker_client
):
    status_url = press_run(student_browser, "thread-lab", (SOLUTIONS / "thread-lab.js").read_text())
    assert student_browser.client.get(status_url).get_json()["status"] == "queued"

    run_grader_worker()
    run_results_worker(app)

    status = student_browser.client.get(status_url).get_json()
    assert status["final"] and status["outcome"] == "completed", status
    assert status["output"]["text"].strip()
    labels = [measurement["label"] for measurement in status["measurements"]]
    assert labels[0] == "Wall time"
    assert any("while workers ran" in label for label in labels), labels
    assert status["not_graded"] == "Not graded: no checks, no EXP, no attempt used."
    assert rows(db, LabRun) == 1
    assert_container_removed(docker_client, status_url)
    assert rows(db, Submission) == rows(db, ExpEntry) == rows(db, AchievementAward) == 0


def test_an_unblock_the_loop_run_shows_the_stalls_and_the_speedup(
    app, student_browser, student, default_school, db, run_grader_worker, docker_client
):
    grant_to_user(db, default_school, None, student.email, None, "test")
    code = (SOLUTIONS / "unblock-the-loop.js").read_text()
    status_url = press_run(student_browser, "unblock-the-loop", code)

    run_grader_worker()
    run_results_worker(app)

    status = student_browser.client.get(status_url).get_json()
    assert status["final"] and status["outcome"] == "completed", status
    labels = " | ".join(measurement["label"] for measurement in status["measurements"])
    assert "job on the main thread" in labels and "with 1 worker" in labels, labels
    assert "Speedup with 2 workers" in labels, labels
    assert_container_removed(docker_client, status_url)
    assert rows(db, Submission) == rows(db, ExpEntry) == rows(db, AchievementAward) == 0
