"""A GradeResult names the host that graded it and the runtime its sandbox ran under; older
results without those fields still decode."""

import socket

import jsonschema

import contract
from grader.pipeline import grader_host


def test_the_orchestrators_node_name_wins_over_the_containers_host_name(monkeypatch):
    monkeypatch.setenv("GRADER_HOST", "grader-node-7")
    assert grader_host() == "grader-node-7"
    monkeypatch.delenv("GRADER_HOST")
    assert grader_host() == socket.gethostname()


def test_a_result_from_an_older_grader_decodes_with_no_host():
    payload = {
        "schema_version": contract.SCHEMA_VERSION, "submission_id": "s1", "tenant_id": "t1",
        "lab_id": "thread-lab", "verdict": "passed", "score": 1.0, "gradable": True,
        "checks": [], "feedback": "", "output": {"text": "", "truncated": False, "bytes_total": 0},
    }  # fmt: skip
    result = contract.decode(contract.GradeResult, payload)
    assert result.grader_host == ""
    named = contract.decode(contract.GradeResult, {**payload, "grader_host": "node-b"})
    assert named.grader_host == "node-b"
    assert contract.encode(named)["grader_host"] == "node-b"
    assert result.sandbox_runtime == ""
    under_runsc = contract.decode(contract.GradeResult, {**payload, "sandbox_runtime": "runsc"})
    assert contract.encode(under_runsc)["sandbox_runtime"] == "runsc"
    # Additive, as grader_host: a version-1 portal's schema takes it too.
    for version in (1, 2):
        wire = contract.encode_grade_result(under_runsc, version)
        schema = contract.load_schema("grade-result-v1" if version == 1 else "grade-result")
        jsonschema.validate(wire, schema)
