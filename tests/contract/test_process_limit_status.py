"""The process-limit status: new in GradeResult 3 and RunResult 2, never sent to a reader that
would refuse it.

An older portal's codec refuses a verdict or a run outcome it does not know, and a refused
record job would leave the submission waiting until the sweep. So a grader answering an older
reader writes what that reader showed for a fork bomb before: `error`, with the same sentence
naming the limit. Each direction is checked against the JSON Schema of the version written.
"""

import dataclasses
import json

import jsonschema
import pytest

from contract import (
    RUN_RESULT_VERSIONS,
    GradeResult,
    MessageError,
    RunRequest,
    RunResult,
    decode,
    encode,
    encode_grade_result,
    encode_run_result,
    load_schema,
    result_version_for,
)
from tests.contract.test_codec import RESULT
from tests.contract.test_run_messages import REQUEST as RUN_REQUEST
from tests.contract.test_run_messages import RESULT as RUN_RESULT

REASON = (
    "Stopped: your program started more processes and threads than the sandbox allows (at most 64)."
)
GRADED = dataclasses.replace(RESULT, verdict="process_limit_exceeded", score=0.0, feedback=REASON)
RAN = dataclasses.replace(RUN_RESULT, outcome="process_limit_exceeded", message=REASON)


def over_the_wire(payload: dict) -> dict:
    return json.loads(json.dumps(payload))


def test_a_portal_that_reads_version_3_gets_the_process_limit_verdict():
    wire = over_the_wire(encode_grade_result(GRADED, 3))

    jsonschema.validate(wire, load_schema("grade-result"))
    assert decode(GradeResult, wire) == dataclasses.replace(GRADED, schema_version=3)


@pytest.mark.parametrize(("version", "schema"), [(2, "grade-result"), (1, "grade-result-v1")])
def test_an_older_portal_gets_error_with_the_same_sentence(version, schema):
    wire = over_the_wire(encode_grade_result(GRADED, version))

    assert (wire["schema_version"], wire["verdict"]) == (version, "error")
    assert wire["feedback"] == REASON and wire["score"] == 0.0
    jsonschema.validate(wire, load_schema(schema))
    decode(GradeResult, wire)


def test_a_version_2_result_claiming_the_process_limit_is_refused():
    wire = over_the_wire(encode(dataclasses.replace(GRADED, schema_version=2)))

    with pytest.raises(MessageError, match="needs schema_version 3"):
        decode(GradeResult, wire)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wire, load_schema("grade-result"))


def test_a_run_for_a_newer_portal_ends_on_the_process_limit():
    request = dataclasses.replace(RUN_REQUEST, result_versions=tuple(sorted(RUN_RESULT_VERSIONS)))
    request = decode(RunRequest, over_the_wire(encode(request)))
    wire = over_the_wire(encode_run_result(RAN, result_version_for(request)))

    assert wire["schema_version"] == 2
    jsonschema.validate(wire, load_schema("run-result"))
    assert decode(RunResult, wire) == dataclasses.replace(RAN, schema_version=2)


def test_a_run_for_an_older_portal_ends_as_error_which_it_reads():
    older_request = encode(RUN_REQUEST)
    del older_request["result_versions"]  # an N-1 portal does not know the field
    version = result_version_for(decode(RunRequest, over_the_wire(older_request)))
    wire = over_the_wire(encode_run_result(RAN, version))

    assert version == 1
    assert (wire["schema_version"], wire["outcome"], wire["message"]) == (1, "error", REASON)
    jsonschema.validate(wire, load_schema("run-result"))
    decode(RunResult, wire)


def test_a_version_1_run_result_claiming_the_process_limit_is_refused():
    wire = over_the_wire(encode(dataclasses.replace(RAN, schema_version=1)))

    with pytest.raises(MessageError, match="needs schema_version 2"):
        decode(RunResult, wire)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wire, load_schema("run-result"))
