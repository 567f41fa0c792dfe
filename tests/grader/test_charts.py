"""The chart panels the grader sends: read from the measurements, judged by the checks.

The portal draws what it receives (its SVG rendering is tested in tests/web/labs/test_chart.py);
these tests are about what is read: which numbers become bars, in which words, and which
check's outcome each bar carries.
"""

from __future__ import annotations

import pytest

from contract import Chart, ChartBar
from grader.adapters.node.labs.charts import SPEEDUP_TITLE, STALL_TITLE, unblock_the_loop_charts

MEASURED = {
    "workers": 2,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 1210.0, "min": 1190.0, "max": 1250.0}},
        "one_worker": {"loop_delay_p99_ms": {"median": 11.5, "min": 10.0, "max": 14.0}},
        "n_workers": {"loop_delay_p99_ms": {"median": 9.0, "min": 8.0, "max": 12.0}},
    },
    "speedup": {"median": 1.7, "min": 1.6, "max": 1.8, "ideal": 2.0, "efficiency": 0.85},
}
JUDGED = {
    **MEASURED,
    "judged": {
        "variants.one_worker": {"check": "keeps_loop_responsive", "outcome": "held"},
        "speedup": {"check": "speeds_up", "outcome": "did_not_hold"},
    },
}


def test_the_stalls_and_the_speedup_become_two_panels_in_the_students_words():
    stalls, speedup = unblock_the_loop_charts(MEASURED)

    assert stalls == Chart(
        STALL_TITLE,
        "ms",
        (
            ChartBar("Main thread", 1210.0, "1210 ms", "baseline"),
            ChartBar("1 worker", 11.5, "11.5 ms", "measured"),
            ChartBar("2 workers", 9.0, "9 ms", "measured"),
        ),
    )
    assert speedup == Chart(
        SPEEDUP_TITLE,
        "x",
        (ChartBar("Measured speedup", 1.7, "1.7x", "measured"),),
        ideal=2.0,
        ideal_label="Ideal on this quota: 2x",
    )


def test_a_judged_quantity_carries_its_check_and_that_checks_outcome():
    # The grader says the speedup did not count, whatever the number; the one-worker stall
    # held. The portal colours from these and compares nothing itself.
    stalls, speedup = unblock_the_loop_charts(JUDGED)

    one_worker = stalls.bars[1]
    assert (one_worker.check, one_worker.outcome) == ("keeps_loop_responsive", "held")
    [measured] = speedup.bars
    assert (measured.check, measured.outcome) == ("speeds_up", "did_not_hold")
    assert measured.text == "1.7x"


def test_a_quantity_no_check_judged_is_never_held_or_not_held():
    bars = [bar for chart in unblock_the_loop_charts(JUDGED) for bar in chart.bars]
    unjudged = [bar for bar in bars if bar.label in ("Main thread", "2 workers")]

    assert len(unjudged) == 2
    assert all((bar.check, bar.outcome) == ("", "") for bar in unjudged)
    assert unjudged[0].role == "baseline"


@pytest.mark.parametrize(
    "judgement",
    [
        {"check": "speeds_up", "outcome": "maybe"},
        {"check": 3, "outcome": "held"},
        "held",
    ],
)
def test_a_malformed_judgement_judges_nothing(judgement):
    _, speedup = unblock_the_loop_charts({**MEASURED, "judged": {"speedup": judgement}})
    assert (speedup.bars[0].check, speedup.bars[0].outcome) == ("", "")


def test_a_panel_with_nothing_to_draw_is_left_out():
    only_stalls = {**MEASURED, "speedup": None}
    only_speedup = {**MEASURED, "variants": {"blocking": {"loop_delay_p99_ms": None}}}
    no_workers = {k: v for k, v in MEASURED.items() if k != "workers"}

    assert [chart.title for chart in unblock_the_loop_charts(only_stalls)] == [STALL_TITLE]
    assert [chart.title for chart in unblock_the_loop_charts(only_speedup)] == [SPEEDUP_TITLE]
    assert unblock_the_loop_charts(no_workers)[0].bars[2].label == "N workers"
    without_ideal = {**MEASURED, "speedup": {"median": 1.16}}
    [_, speedup] = unblock_the_loop_charts(without_ideal)
    assert (speedup.ideal, speedup.ideal_label, speedup.bars[0].text) == (0.0, "", "1.16x")


@pytest.mark.parametrize(
    "measurements",
    [
        {},
        {"wall_ms": 80.0},
        {"variants": "lots"},
        {"variants": {"blocking": {"loop_delay_p99_ms": -1}}},
        {"variants": {"blocking": {"loop_delay_p99_ms": {"median": -1}}}},
        {"variants": {"blocking": {"loop_delay_p99_ms": {"median": "1e9"}}}},
        {"variants": {"blocking": {"loop_delay_p99_ms": {"median": True}}}},
    ],
)
def test_measurements_without_numbers_to_draw_give_no_chart(measurements):
    assert unblock_the_loop_charts(measurements) == ()
