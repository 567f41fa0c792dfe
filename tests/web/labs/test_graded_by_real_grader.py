"""A student's whole path through the real queue, a real grader worker and real Docker.

Register, log in, submit Thread Lab code, and read the verdict the page polls for:
nothing here is faked, from the Valkey server to the sandbox container.
"""

from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD

SOLUTIONS = Path(__file__).parents[2] / "integration" / "solutions"

pytestmark = pytest.mark.docker


def run_results_worker(app) -> None:
    outcome = app.test_cli_runner().invoke(args=["results-worker", "--burst"])
    assert outcome.exit_code == 0, outcome.output


@pytest.mark.parametrize(
    ("solution", "verdict", "failed_checks"),
    [
        ("thread_lab_commonjs.js", "passed", []),
        ("never_sends.js", "failed", ["sends_message", "message_crossed"]),
    ],
)
def test_register_login_submit_and_see_the_verdict(
    app,
    browser,
    run_grader_worker,
    no_leftover_containers,
    solution,
    verdict,
    failed_checks,
):
    assert browser.register("grace@example.org", "Grace", PASSWORD).status_code == 302
    assert browser.log_in("grace@example.org", PASSWORD).status_code == 302

    submitted = browser.submit_code((SOLUTIONS / solution).read_text())
    assert submitted.status_code == 302
    submission_id = submitted.headers["Location"].rsplit("=", 1)[1]
    status_url = f"/submissions/{submission_id}/status"
    assert browser.client.get(status_url).get_json()["status"] == "queued"

    run_grader_worker()
    run_results_worker(app)

    status = browser.client.get(status_url).get_json()
    assert status["final"] and status["verdict"] == verdict
    # A.D.A.'s words, without a second "A.D.A.:" under the page's "A.D.A. says" heading.
    assert status["feedback"] and not status["feedback"].startswith("A.D.A.")
    failed = [check["name"] for check in status["checks"] if not check["passed"]]
    assert failed == failed_checks
    if verdict == "passed":
        assert "main received" in status["output"]["text"]
        assert "thread-master" in str(status["achievements"]).lower().replace(" ", "-")
