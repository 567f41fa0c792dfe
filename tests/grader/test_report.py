"""The runner checks the report's envelope; the adapter checks the rest, just as strictly.

A report whose envelope is valid but whose language details (Node's run-time observations)
are malformed is not trusted: the checks rest on those counts, so the run ends in the
grader's own error rather than in a verdict built on numbers nobody can vouch for.
"""

from __future__ import annotations

import json

import pytest

from grader.adapters.node import ADAPTER as NODE
from grader.pipeline import grade_request
from grader.report import ENVELOPE_FIELDS, ReportError, parse_report

from .test_pipeline import report, request, runner

GOOD_OBSERVATIONS = {
    "workers_created": 1,
    "workers_online": 1,
    "messages_to_main": 1,
    "messages_to_worker": 0,
}
MALFORMED_DETAILS = {
    "observations missing": {"observations": None},
    "a count below zero": {"observations": {**GOOD_OBSERVATIONS, "workers_created": -1}},
    "a count that is not a number": {
        "observations": {**GOOD_OBSERVATIONS, "messages_to_main": "1"}
    },
    "child_process_calls not an object": {"child_process_calls": ["spawn"]},
    "a call count that is a boolean": {"child_process_calls": {"spawn": True}},
}


def anything(details):
    return dict(details)


def test_the_adapter_gets_the_fields_beyond_the_envelope():
    parsed = parse_report(report(child_process_calls={"spawn": 1}), anything)
    assert parsed.details == {
        "observations": GOOD_OBSERVATIONS,
        "child_process_calls": {"spawn": 1},
    }
    assert not ENVELOPE_FIELDS & set(parsed.details)


def test_nodes_details_are_read_into_counts():
    parsed = parse_report(report(child_process_calls={"spawn": 2}), NODE.read_details)
    assert parsed.details.observations == GOOD_OBSERVATIONS
    assert parsed.details.child_process_calls["spawn"] == 2
    assert parsed.details.child_process_calls["exec"] == 0


@pytest.mark.parametrize("changes", MALFORMED_DETAILS.values(), ids=MALFORMED_DETAILS)
def test_malformed_details_in_a_valid_envelope_are_refused(changes):
    stdout = report(**changes)
    assert parse_report(stdout, anything).status == "exited"  # the envelope holds
    with pytest.raises(ReportError):
        parse_report(stdout, NODE.read_details)


@pytest.mark.parametrize("changes", MALFORMED_DETAILS.values(), ids=MALFORMED_DETAILS)
def test_a_report_with_malformed_details_grades_nothing(changes):
    result = grade_request(request(), runner(report(**changes)), adapter=NODE)
    assert result.verdict == "infra_error" and not result.gradable
    assert result.score == 0.0 and not result.achievements


def test_a_malformed_envelope_is_refused_before_the_adapter_is_asked():
    asked = []

    def read_details(details):
        asked.append(details)
        return details

    line = json.dumps({"harness_version": 1, "status": "exited", "output": "hi"})
    with pytest.raises(ReportError, match="output is malformed"):
        parse_report(f"HARNESS-REPORT {line}\n".encode(), read_details)
    assert not asked
