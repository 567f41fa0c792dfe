"""The measurement chart: drawn as the grader gave it, served only to the submitter.

The grader's GradeResult (version 2) carries the charts; the portal draws any lab's panels
without knowing the lab, and a result of an older grader (version 1) simply has none.
"""

from __future__ import annotations

import re

import pytest

import contract
from portal.jobs import record_result
from portal.labs.charts import OUTCOME_COLOURS, ROLE_COLOURS, chart_panels
from portal.models import Submission

STALLS = contract.Chart(
    "Longest main-thread stall (p99 event-loop delay)",
    "ms",
    (
        contract.ChartBar("Main thread", 1210.0, "1210 ms", "baseline"),
        contract.ChartBar("1 worker", 11.5, "11.5 ms", "measured", "keeps_loop_responsive", "held"),
        contract.ChartBar("2 workers", 9.0, "9 ms", "measured"),
    ),
)
SPEEDUP = contract.Chart(
    "Speedup of the workers over the main thread",
    "x",
    (contract.ChartBar("Measured speedup", 1.7, "1.7x", "measured", "speeds_up", "did_not_hold"),),
    ideal=2.0,
    ideal_label="Ideal on this quota: 2x",
)


@pytest.fixture
def graded(app, submission, student, make_grade_result) -> Submission:
    result = make_grade_result(str(submission.id), str(student.tenant_id), charts=(STALLS, SPEEDUP))
    with app.app_context():
        record_result(contract.encode_grade_result(result))
    return submission


def test_status_links_a_chart_whose_text_quotes_the_numbers(student_browser, graded):
    status = student_browser.client.get(f"/submissions/{graded.id}/status").get_json()
    assert status["chart"]["url"] == f"/submissions/{graded.id}/chart.svg"
    alt = status["chart"]["alt"]
    assert "Main thread 1210 ms" in alt and "2 workers 9 ms" in alt
    # The alternative text names the judging check by its title, never by its identifier.
    assert "Measured speedup 1.7x (“Speeds up” did not hold) (Ideal on this quota: 2x)" in alt

    page = student_browser.client.get(
        f"/courses/node-workers/labs/thread-lab?submission={graded.id}"
    )
    assert f'<img src="/submissions/{graded.id}/chart.svg"' in page.get_data(as_text=True)


def test_a_phone_gets_the_chart_drawn_at_its_width_so_its_text_keeps_its_size(
    student_browser, graded
):
    # Drawn 720 wide and shown 360 wide, 13 px text would be 6.5 px: a phone's <source>
    # asks for the narrow layout, as wide as it is shown, each label above its bar.
    status = student_browser.client.get(f"/submissions/{graded.id}/status").get_json()
    narrow_url = status["chart"]["narrow_url"]
    page = student_browser.client.get(
        f"/courses/node-workers/labs/thread-lab?submission={graded.id}"
    ).get_data(as_text=True)
    assert f'<source media="(max-width: 40rem)" srcset="{narrow_url}">' in page
    wide = student_browser.client.get(status["chart"]["url"]).get_data(as_text=True)
    narrow = student_browser.client.get(narrow_url).get_data(as_text=True)
    assert 'width="720"' in wide and 'width="360"' in narrow and 'font-size="13"' in narrow
    # Every bar starts at the left edge and ends inside the 360 px; every text starts at 0.
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', narrow)
    assert bars and all(float(x) == 0 and float(w) <= 360 for x, w in bars)
    assert set(re.findall(r'<text x="([\d.]+)"', narrow)) == {"0"}
    assert "1.7x (did not hold)" in narrow and "Main thread" in narrow


def test_chart_is_an_svg_image_that_may_run_nothing(student_browser, graded):
    response = student_browser.client.get(f"/submissions/{graded.id}/chart.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg
    assert "1210 ms" in svg and "1.7x" in svg
    assert "stroke-dasharray" in svg and "Ideal on this quota: 2x" in svg  # the ideal line


def test_another_student_cannot_see_the_chart(graded, make_user, make_browser, app):
    make_user("eve@example.org", "another long password", "Eve")
    eve = make_browser(app)
    eve.log_in("eve@example.org", "another long password")
    assert eve.client.get(f"/submissions/{graded.id}/chart.svg").status_code == 404


def test_a_judged_value_is_coloured_and_labelled_by_its_check_and_others_never(
    student_browser, graded
):
    # The grader says the speedup did not count: the bar is red and says so, whatever the
    # number; the one-worker stall held: green. Unjudged bars keep their role's colour.
    svg = student_browser.client.get(f"/submissions/{graded.id}/chart.svg").get_data(as_text=True)
    assert "1.7x (did not hold)" in svg and "11.5 ms (held)" in svg
    assert "speeds_up" not in svg and "keeps_loop_responsive" not in svg
    assert f'fill="{OUTCOME_COLOURS["did_not_hold"]}"' in svg
    assert f'fill="{OUTCOME_COLOURS["held"]}"' in svg
    panels = chart_panels({"charts": [contract.encode(STALLS)]})
    unjudged = [bar for bar in panels[0].bars if not bar.check]
    assert [bar.colour for bar in unjudged] == [ROLE_COLOURS["baseline"], ROLE_COLOURS["measured"]]


def test_an_older_graders_result_is_recorded_and_shows_no_chart(
    app, student_browser, submission, student, make_grade_result
):
    result = make_grade_result(str(submission.id), str(student.tenant_id), charts=(STALLS,))
    with app.app_context():
        record_result(contract.encode_grade_result(result, 1))  # what an N-1 grader sends

    status = student_browser.client.get(f"/submissions/{submission.id}/status").get_json()
    assert status["final"] and status["verdict"] == "passed" and "chart" not in status
    assert student_browser.client.get(f"/submissions/{submission.id}/chart.svg").status_code == 404


@pytest.mark.parametrize(
    "analysis",
    [
        None,
        {},
        {"charts": "lots"},
        {"charts": [{"title": "T", "unit": "ms", "bars": [{"label": "x", "value": -1}]}]},
        {"charts": [{"title": "T", "bars": [{"label": "x", "value": "1e9", "text": "1"}]}]},
        {"charts": [{"title": 3, "bars": [{"label": "x", "value": 1.0, "text": "1"}]}]},
    ],
)
def test_stored_charts_without_bars_to_draw_give_no_chart(analysis):
    assert chart_panels(analysis) == []
