"""A rolling deploy mixes versions: each side reads what the other writes, in either order.

GradeResult went to version 2 (it carries findings, diagnoses and charts). A portal of
version N-1 reads only version-1 results and sends requests without `result_versions`; a
grader of version N-1 writes only version-1 results and ignores fields it does not know.
Each direction is checked against the wire format the older side validates: the version-1
JSON Schema of a GradeResult, and the request schema an older grader reads.
"""

import dataclasses
import json

import jsonschema
import pytest

from contract import (
    GRADE_RESULT_VERSION,
    GRADE_RESULT_VERSIONS,
    GradeRequest,
    GradeResult,
    MessageError,
    decode,
    encode,
    encode_grade_result,
    load_schema,
    result_version_for,
)
from tests.contract.test_codec import REQUEST, RESULT

V2_ONLY = ("findings", "diagnoses", "charts")


def over_the_wire(payload: dict) -> dict:
    return json.loads(json.dumps(payload))


def test_an_older_portals_request_is_answered_in_version_1_which_it_accepts():
    older_request = encode(REQUEST)
    del older_request["result_versions"]  # an N-1 portal does not know the field
    request = decode(GradeRequest, over_the_wire(older_request))

    version = result_version_for(request)
    wire = over_the_wire(encode_grade_result(RESULT, version))

    assert version == 1
    assert wire["schema_version"] == 1  # the only version an N-1 portal accepts
    assert not set(V2_ONLY) & set(wire)
    jsonschema.validate(wire, load_schema("grade-result-v1"))
    assert decode(GradeResult, wire) == dataclasses.replace(
        RESULT, schema_version=1, findings=(), diagnoses=(), charts=()
    )


def test_a_newer_portals_request_is_read_by_an_older_grader_as_version_1():
    request = dataclasses.replace(REQUEST, result_versions=tuple(sorted(GRADE_RESULT_VERSIONS)))
    wire = over_the_wire(encode(request))

    # An N-1 grader accepts schema_version 1 and ignores the field it does not know.
    assert wire["schema_version"] == 1 and wire["result_versions"] == [1, 2, 3]
    older_fields = {field.name for field in dataclasses.fields(GradeRequest)} - {"result_versions"}
    assert older_fields <= set(wire)
    jsonschema.validate(wire, load_schema("grade-request"))
    assert result_version_for(decode(GradeRequest, wire)) == 3


def test_a_newer_portal_reads_an_older_graders_result_and_a_newer_ones():
    older = over_the_wire(encode_grade_result(RESULT, 1))
    newer = over_the_wire(encode_grade_result(RESULT, GRADE_RESULT_VERSION))

    jsonschema.validate(newer, load_schema("grade-result"))
    assert decode(GradeResult, older).diagnoses == ()
    assert decode(GradeResult, newer) == RESULT


def test_a_grader_answers_in_the_highest_version_both_know():
    future = dataclasses.replace(REQUEST, result_versions=(1, 2, 7))
    assert result_version_for(future) == 2
    assert result_version_for(dataclasses.replace(REQUEST, result_versions=(1, 2, 3, 7))) == 3
    unknown = dataclasses.replace(REQUEST, result_versions=(7,))
    assert result_version_for(unknown) == 1  # the version every portal reads


@pytest.mark.parametrize("version", [0, 4, None])
def test_a_result_version_nobody_reads_is_neither_written_nor_read(version):
    with pytest.raises(MessageError, match="schema_version"):
        encode_grade_result(RESULT, version)
    with pytest.raises(MessageError, match="schema_version"):
        decode(GradeResult, encode(RESULT) | {"schema_version": version})


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("bars", 0, "value"), -1.0, "must not be negative"),
        (("bars", 0, "role"), "decoy", "unknown role"),
        (("bars", 0, "outcome"), "passed", "unknown outcome"),
        (("ideal",), -2.0, "must not be negative"),
    ],
)
def test_a_malformed_chart_is_refused_and_named(path, value, message):
    wire = over_the_wire(encode(RESULT))
    target = wire["charts"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(MessageError, match=message):
        decode(GradeResult, wire)
