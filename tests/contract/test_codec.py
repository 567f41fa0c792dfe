"""The contract's codec: round trips, and refusal of what a peer must never accept."""

import json

import jsonschema
import pytest

from contract import (
    GRADE_RESULT_VERSION,
    SCHEMA_VERSION,
    AchievementEvent,
    Chart,
    ChartBar,
    CheckResult,
    Diagnosis,
    GradeRequest,
    GradeResult,
    Limits,
    MessageError,
    Output,
    PhaseTimes,
    SubmittedFile,
    decode,
    encode,
    load_schema,
)

REQUEST = GradeRequest(
    schema_version=SCHEMA_VERSION,
    submission_id="42",
    tenant_id="1",
    lab_id="thread-lab",
    lab_kind="thread-lab",
    files=(SubmittedFile("main.js", "console.log('héllo')\n"),),
    entrypoint="main.js",
    limits=Limits(wall_seconds=5.0, memory_mib=256, cpus=1.0, pids=64, output_bytes=1 << 20),
    check_config={"workers": 2},
    queued_at="2026-11-24T12:00:00+00:00",
)
RESULT = GradeResult(
    schema_version=GRADE_RESULT_VERSION,
    submission_id="42",
    tenant_id="1",
    lab_id="thread-lab",
    verdict="passed",
    score=1.0,
    gradable=True,
    checks=(CheckResult("creates_worker", True, "You construct a Worker."),),
    feedback="Simulation complete.",
    output=Output("hi\n", False, 3),
    measurements={"wall_ms": 81.5},
    achievements=(AchievementEvent("lab_passed", "thread-lab"),),
    times=PhaseTimes("a", "b", "c", "d"),
    findings=("Your workers ran 1.70x as fast as the main thread alone.",),
    diagnoses=(
        Diagnosis("quota_throttled", "The quota held it back.", "40% throttled.", "Wait.", "cpu"),
    ),
    charts=(
        Chart(
            "Speedup",
            "x",
            (ChartBar("Measured speedup", 1.7, "1.7x", "measured", "speeds_up", "held"),),
            ideal=2.0,
            ideal_label="Ideal on this quota: 2x",
        ),
    ),
)


@pytest.mark.parametrize(
    ("message", "schema"), [(REQUEST, "grade-request"), (RESULT, "grade-result")]
)
def test_round_trip_through_json_keeps_every_field(message, schema):
    wire = json.loads(json.dumps(encode(message)))
    jsonschema.validate(wire, load_schema(schema))
    assert decode(type(message), wire) == message


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_unknown_schema_version_is_refused(version):
    wire = encode(REQUEST) | {"schema_version": version}
    with pytest.raises(MessageError, match="schema_version"):
        decode(GradeRequest, wire)


@pytest.mark.parametrize("field", ["submission_id", "files", "limits", "entrypoint"])
def test_missing_field_is_refused_and_named(field):
    wire = encode(REQUEST)
    del wire[field]
    with pytest.raises(MessageError, match=field):
        decode(GradeRequest, wire)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"limits": {**encode(REQUEST)["limits"], "pids": "64"}}, "pids"),
        ({"limits": {**encode(REQUEST)["limits"], "cpus": float("nan")}}, "finite"),
        ({"files": []}, "at least one file"),
        ({"entrypoint": "other.js"}, "entrypoint"),
        ({"files": [{"path": "main.js"}]}, "content"),
    ],
)
def test_malformed_request_is_refused(change, complaint):
    with pytest.raises(MessageError, match=complaint):
        decode(GradeRequest, encode(REQUEST) | change)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [({"verdict": "great"}, "verdict"), ({"score": 1.5}, "score"), ({"gradable": 1}, "gradable")],
)
def test_malformed_result_is_refused(change, complaint):
    with pytest.raises(MessageError, match=complaint):
        decode(GradeResult, encode(RESULT) | change)


def test_additive_field_keeps_the_version_readable():
    wire = encode(RESULT)
    del wire["measurements"]
    assert decode(GradeResult, wire).measurements == {}
