"""Exit codes, timeouts and OOM kills map to the verdicts a student can understand."""

import json

import pytest

from contract import SCHEMA_VERSION, GradeRequest, Limits, SubmittedFile, encode
from grader.pipeline import grade_request
from grader.sandbox import InfrastructureError, SandboxRun

SOLUTION = """
const { Worker, isMainThread, parentPort } = require('worker_threads');
if (isMainThread) new Worker(__filename).on('message', (m) => console.log(m));
else parentPort.postMessage('hi');
"""


def request(code=SOLUTION, lab_kind="thread-lab"):
    return GradeRequest(
        schema_version=SCHEMA_VERSION,
        submission_id="1",
        tenant_id="1",
        lab_id="thread-lab",
        lab_kind=lab_kind,
        files=(SubmittedFile("main.js", code),),
        entrypoint="main.js",
        limits=Limits(5, 256, 1, 64, 1 << 20),
        queued_at="2026-11-24T00:00:00+00:00",
    )


def report(**changes):
    data = {
        "harness_version": 1,
        "lab_kind": "thread-lab",
        "status": "exited",
        "exit_code": 0,
        "signal": None,
        "wall_ms": 80.0,
        "syntax_error": None,
        "error_line": None,
        "observations": {
            "workers_created": 1,
            "workers_online": 1,
            "messages_to_main": 1,
            "messages_to_worker": 0,
        },
        "output": {"text": "hi\n", "truncated": False, "bytes_total": 3},
        "cgroup": {"oom_kills": 0},
        "harness_error": None,
    }
    data.update(changes)
    return b"noise\nHARNESS-REPORT " + json.dumps(data).encode() + b"\n"


def runner(stdout=b"", exit_code=0, oom_killed=False, outer_timeout=False):
    def run(job):
        run.job = job
        return SandboxRun(exit_code, stdout, oom_killed, outer_timeout, "t")

    return run


def test_the_result_names_the_runtime_its_sandbox_ran_under():
    def under_runsc(job):
        return SandboxRun(0, report(), False, False, "t", runtime="runsc")

    assert grade_request(request(), under_runsc).sandbox_runtime == "runsc"
    # No sandbox ran (the Engine failed): no runtime to name.
    assert grade_request(request(), failing_engine).sandbox_runtime == ""


def failing_engine(job):
    raise InfrastructureError("the Docker Engine failed: gone")


def test_a_sandbox_killed_whole_by_the_oom_killer_is_memory_exceeded():
    # Under runsc the OOM kill ends the whole sandbox: exit 137, no report, only the
    # Engine's State.OOMKilled. The student's limit, never our infra_error.
    result = grade_request(request(), runner(b"", exit_code=137, oom_killed=True))
    assert (result.verdict, result.gradable) == ("memory_exceeded", True)


def test_passing_run_is_passed_with_full_score_and_an_achievement():
    result = grade_request(request(), runner(report()))
    assert result.verdict == "passed" and result.score == 1.0 and result.gradable
    assert [event.kind for event in result.achievements] == ["lab_passed"]
    assert result.output.text == "hi\n"


@pytest.mark.parametrize(
    ("run", "verdict", "quoted"),
    [
        (runner(report(status="timeout", exit_code=None, signal="SIGKILL")), "timeout", "5.0 s"),
        (runner(outer_timeout=True, exit_code=None), "timeout", "5.0 s"),
        (
            runner(report(cgroup={"oom_kills": 1}, exit_code=None, signal="SIGKILL")),
            "memory_exceeded",
            "used 256 MiB of 256 MiB",
        ),
        (runner(b"", exit_code=137, oom_killed=True), "memory_exceeded", "used 256 MiB of 256 MiB"),
        (
            runner(
                report(
                    cgroup={"oom_kills": 1},
                    exit_code=134,
                    error_line="FATAL ERROR: Reached heap limit Allocation failed - "
                    "JavaScript heap out of memory",
                )
            ),
            "memory_exceeded",
            "JavaScript heap ran out of memory (the limit is 256 MiB)",
        ),
        (runner(report(status="output_limit")), "output_limit", "1.0 MiB"),
        (runner(report(exit_code=1, error_line="Error: boom")), "error", "Error: boom"),
        (
            runner(
                report(
                    syntax_error={
                        "line": 3,
                        "column": 5,
                        "message": "SyntaxError: Unexpected token ')'",
                    }
                )
            ),
            "error",
            "line 3",
        ),
        (
            runner(report(status="harness_error", harness_error="x")),
            "infra_error",
            "does not count",
        ),
        (runner(report(), exit_code=137), "error", "ended the grader's harness"),
    ],
)
def test_each_way_a_run_ends_has_its_verdict_and_quotes_the_limit(run, verdict, quoted):
    result = grade_request(request(), run)
    assert result.verdict == verdict
    assert quoted in result.feedback
    assert result.score < 1.0 or verdict == "passed"


def test_a_forged_report_before_the_last_line_is_ignored():
    forged = report().replace(
        b"noise", b"HARNESS-REPORT " + json.dumps({"status": "exited"}).encode()
    )
    stdout = forged + b"HARNESS-REPORT {not json\n"
    assert grade_request(request(), runner(stdout)).verdict == "infra_error"


def test_nul_and_lone_surrogates_from_the_sandbox_become_replacement_characters():
    stdout = report(
        exit_code=1,
        error_line="Error: nul\x00here",
        output={"text": "a\x00b\ud800c", "truncated": False, "bytes_total": 6},
    )
    result = grade_request(request(), runner(stdout))
    assert result.verdict == "error"
    assert result.output.text == "a\ufffdb\ufffd\ufffd\ufffdc"
    assert "Error: nul\ufffdhere" in result.feedback
    assert "\x00" not in json.dumps(encode(result), ensure_ascii=False)
    json.dumps(encode(result), ensure_ascii=False).encode("utf-8")  # no lone surrogate left


def test_a_report_nested_too_deep_to_parse_is_not_a_crash():
    stdout = b"HARNESS-REPORT " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    assert grade_request(request(), runner(stdout)).verdict == "infra_error"


def test_missing_message_fails_with_feedback_that_says_so():
    seen = {
        "workers_created": 1,
        "workers_online": 1,
        "messages_to_main": 0,
        "messages_to_worker": 0,
    }
    result = grade_request(request(), runner(report(observations=seen)))
    assert result.verdict == "failed"
    crossed = next(check for check in result.checks if check.name == "message_crossed")
    assert not crossed.passed and "exited before the message" in crossed.message


def test_es_module_runs_as_mjs():
    run = runner(report())
    grade_request(request("import { Worker } from 'node:worker_threads';\n"), run)
    assert run.job.harness_job["entrypoint"] == "main.mjs"
    assert "main.mjs" in run.job.files


def test_engine_failure_is_an_ungradable_infra_error():
    def broken(job):
        raise InfrastructureError("daemon down")

    result = grade_request(request(), broken)
    assert result.verdict == "infra_error" and not result.gradable and result.score == 0


def test_greedy_limits_are_clamped_before_the_run():
    run = runner(report())
    greedy = request()
    greedy = GradeRequest(**{**greedy.__dict__, "limits": Limits(9999, 99999, 64, 99999, 1 << 40)})
    grade_request(greedy, run)
    assert run.job.limits.wall_seconds <= 30 and run.job.limits.cpus <= 2


@pytest.mark.parametrize("code", ["", "   \n", "x" * (64 * 1024 + 1)])
def test_refused_submission_never_reaches_a_sandbox(code):
    run = runner(report())
    result = grade_request(request(code), run)
    assert result.verdict == "error" and not result.gradable
    assert not hasattr(run, "job")


def test_unknown_lab_kind_is_refused():
    result = grade_request(request(lab_kind="no-such-lab"), runner(report()))
    assert "unknown lab kind" in result.feedback and not result.gradable
