"""The measurement chart: drawn from the grader's numbers, served only to the submitter."""

from __future__ import annotations

import pytest

import contract
from portal.jobs import record_result
from portal.labs.charts import chart_data
from portal.models import Submission

MEASURED = {
    "workers": 2,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 1210.0, "min": 1190.0, "max": 1250.0}},
        "one_worker": {"loop_delay_p99_ms": {"median": 11.5, "min": 10.0, "max": 14.0}},
        "n_workers": {"loop_delay_p99_ms": {"median": 9.0, "min": 8.0, "max": 12.0}},
    },
    "speedup": {"median": 1.7, "min": 1.6, "max": 1.8, "ideal": 2.0, "efficiency": 0.85},
}


@pytest.fixture
def graded(app, db, student, make_grade_result) -> Submission:
    submission = Submission(
        tenant_id=student.tenant_id,
        user_id=student.id,
        course_id="node-workers",
        lab_id="thread-lab",
        code="console.log(1)",
        entrypoint="main.js",
    )
    db.add(submission)
    db.commit()
    result = make_grade_result(str(submission.id), str(student.tenant_id), measurements=MEASURED)
    with app.app_context():
        record_result(contract.encode(result))
    return submission


def test_status_links_a_chart_whose_text_quotes_the_numbers(student_browser, graded):
    status = student_browser.client.get(f"/submissions/{graded.id}/status").get_json()
    assert status["chart"]["url"] == f"/submissions/{graded.id}/chart.svg"
    alt = status["chart"]["alt"]
    assert "Main thread: longest stall 1210 ms" in alt and "2 workers: longest stall 9 ms" in alt
    assert "speedup 1.7x (ideal 2x)" in alt

    page = student_browser.client.get(
        f"/courses/node-workers/labs/thread-lab?submission={graded.id}"
    )
    assert f'<img src="/submissions/{graded.id}/chart.svg"' in page.get_data(as_text=True)


def test_chart_is_an_svg_image_that_may_run_nothing(student_browser, graded):
    response = student_browser.client.get(f"/submissions/{graded.id}/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg
    assert "1210 ms" in svg and "1.7x" in svg


def test_another_student_cannot_see_the_chart(graded, make_user, make_browser, app):
    make_user("eve@example.org", "another long password", "Eve")
    eve = make_browser(app)
    eve.log_in("eve@example.org", "another long password")
    assert eve.client.get(f"/submissions/{graded.id}/chart.svg").status_code == 404


@pytest.mark.parametrize(
    "measurements",
    [
        {},
        {"wall_ms": 80.0},
        {"variants": "lots"},
        {"variants": {"blocking": {"loop_delay_p99_ms": -1}}},
        {"variants": {"blocking": {"loop_delay_p99_ms": {"median": "1e9"}}}},
        None,
    ],
)
def test_measurements_without_numbers_to_draw_give_no_chart(measurements):
    assert chart_data(measurements) is None
