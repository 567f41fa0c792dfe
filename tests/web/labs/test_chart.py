"""The measurement chart: drawn from the grader's numbers, served only to the submitter."""

from __future__ import annotations

import pytest

import contract
from portal.jobs import record_result
from portal.labs.charts import OUTCOME_COLOURS, chart_data
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
def graded(app, submission, student, make_grade_result) -> Submission:
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


def test_a_judged_quantity_is_coloured_and_labelled_by_its_check(
    app, db, student, make_grade_result, student_browser
):
    # The grader says the speedup did not count: the bar is red and says so, whatever the
    # number; the one-worker stall held: green. The portal compares nothing itself.
    judged = {
        **MEASURED,
        "judged": {
            "variants.one_worker": {"check": "keeps_loop_responsive", "outcome": "held"},
            "speedup": {"check": "speeds_up", "outcome": "did_not_hold"},
        },
    }
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
    result = make_grade_result(str(submission.id), str(student.tenant_id), measurements=judged)
    with app.app_context():
        record_result(contract.encode(result))

    status = student_browser.client.get(f"/submissions/{submission.id}/status").get_json()
    assert "1 worker: longest stall 11.5 ms (keeps_loop_responsive held)" in status["chart"]["alt"]
    assert "speedup 1.7x (ideal 2x), speeds_up did not hold" in status["chart"]["alt"]
    svg = student_browser.client.get(f"/submissions/{submission.id}/chart.svg").get_data(
        as_text=True
    )
    assert "1.7x (speeds_up did not hold)" in svg
    assert f'fill="{OUTCOME_COLOURS["did_not_hold"]}"' in svg
    assert f'fill="{OUTCOME_COLOURS["held"]}"' in svg


def test_a_quantity_no_check_judged_is_never_green_or_red():
    data = chart_data(MEASURED)
    judged_colours = set(OUTCOME_COLOURS.values())
    assert all(bar.colour not in judged_colours for bar in [*data.stalls, data.measured])
