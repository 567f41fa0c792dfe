"""The contract's "Run" messages: round trips, and refusal of what a peer must never accept."""

import json

import jsonschema
import pytest

from contract import (
    RECORD_RUN_JOB,
    RUN_JOB,
    RUN_OUTCOMES,
    RUN_RESULT_VERSION,
    SCHEMA_VERSION,
    Limits,
    MessageError,
    Output,
    PhaseTimes,
    RunRequest,
    RunResult,
    SubmittedFile,
    decode,
    encode,
    load_schema,
    run_job_id,
    run_result_job_id,
)

REQUEST = RunRequest(
    schema_version=SCHEMA_VERSION,
    run_id="7",
    tenant_id="1",
    lab_id="unblock-the-loop",
    lab_kind="unblock-the-loop",
    files=(SubmittedFile("main.js", "console.log('héllo')\n"),),
    entrypoint="main.js",
    limits=Limits(wall_seconds=25.0, memory_mib=512, cpus=2.0, pids=128, output_bytes=1 << 20),
    check_config={"workers": 2},
    queued_at="2026-12-01T01:00:00+00:00",
)
RESULT = RunResult(
    schema_version=SCHEMA_VERSION,
    run_id="7",
    tenant_id="1",
    lab_id="unblock-the-loop",
    outcome="completed",
    message="Your program ended on its own, exit code 0.",
    output=Output("hi\n", False, 3),
    measurements={
        "wall_ms": {"label": "Wall time", "value": 812.0, "unit": "ms", "text": "812 ms"},
        "speedup": {"label": "Speedup", "value": 1.7, "unit": "x", "text": "1.70x"},
    },
    times=PhaseTimes("a", "b", "c", "d"),
)


@pytest.mark.parametrize(("message", "schema"), [(REQUEST, "run-request"), (RESULT, "run-result")])
def test_round_trip_through_json_keeps_every_field_and_the_order(message, schema):
    wire = json.loads(json.dumps(encode(message)))
    jsonschema.validate(wire, load_schema(schema))
    decoded = decode(type(message), wire)
    assert decoded == message
    if isinstance(message, RunResult):
        assert list(decoded.measurements) == ["wall_ms", "speedup"]


def test_job_names_and_ids_are_their_own():
    assert RUN_JOB == "grader.jobs.run" and RECORD_RUN_JOB == "portal.jobs.record_run"
    assert run_job_id("7") == "run-7" and run_result_job_id("7") == "run-result-7"
    assert run_job_id("7") != "submission-7"


@pytest.mark.parametrize("field", ["run_id", "files", "limits", "entrypoint", "lab_kind"])
def test_missing_request_field_is_refused_and_named(field):
    wire = encode(REQUEST)
    del wire[field]
    with pytest.raises(MessageError, match=field):
        decode(RunRequest, wire)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"files": []}, "RunRequest.files: at least one file"),
        ({"entrypoint": "other.js"}, "RunRequest.entrypoint"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_malformed_request_is_refused(change, complaint):
    with pytest.raises(MessageError, match=complaint):
        decode(RunRequest, encode(REQUEST) | change)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"outcome": "passed"}, "outcome"),  # a run has no verdict
        ({"outcome": "inconclusive"}, "outcome"),
        ({"measurements": {"wall_ms": 81.5}}, "measurements.wall_ms"),
        ({"measurements": {"wall_ms": {"label": "Wall time"}}}, "measurements.wall_ms"),
        ({"message": None}, "message"),
    ],
)
def test_malformed_result_is_refused(change, complaint):
    with pytest.raises(MessageError, match=complaint):
        decode(RunResult, encode(RESULT) | change)


@pytest.mark.parametrize("outcome", RUN_OUTCOMES)
def test_every_outcome_is_in_the_schema(outcome):
    wire = encode(RESULT) | {"outcome": outcome, "schema_version": RUN_RESULT_VERSION}
    jsonschema.validate(wire, load_schema("run-result"))
    assert decode(RunResult, wire).outcome == outcome


def test_additive_fields_keep_the_version_readable():
    wire = encode(RESULT)
    del wire["measurements"], wire["times"]
    assert decode(RunResult, wire).measurements == {}
