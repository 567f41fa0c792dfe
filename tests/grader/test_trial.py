"""'Run before you submit': a run ends with an outcome and the main measurements, never a
verdict; it goes through the same limits and harness job as a grade, with quick settings."""

import json

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from contract import (
    RECORD_RUN_JOB,
    RESULTS_QUEUE,
    RUN_OUTCOMES,
    RUN_RESULT_VERSION,
    SCHEMA_VERSION,
    Limits,
    RunRequest,
    RunResult,
    SubmittedFile,
    decode,
    encode,
    run_result_job_id,
)
from grader.host_usage import HostUsage
from grader.limits import Ceilings
from grader.publish import publish_run_result
from grader.sandbox import InfrastructureError, SandboxRun
from grader.trial import run_request

CODE = "console.log('hi');\n"
UNBLOCK = {
    "workers": 2,
    "repeats": 1,
    "problem": None,
    "variants": {
        "blocking": {"loop_delay_p99_ms": {"median": 452.0}},
        "one_worker": {"loop_delay_p99_ms": {"median": 10.4}},
        "n_workers": {"loop_delay_p99_ms": {"median": 9.2}},
    },
    "speedup": {"median": 1.83, "ideal": 2.0},
}
SPAWN = {
    "problem": None,
    "variants": {
        "student": {"wall_ms": {"median": 210.0}, "peak_rss_growth_bytes": 3 * 1024 * 1024},
        "exec_reference": {"wall_ms": {"median": 190.0}, "peak_rss_growth_bytes": 40 << 20},
    },
}
THREAD = {"loop_delay_while_workers_ran": {"samples": 40, "p99_ms": 1.2, "max_ms": 3.4}}


LIMITS = Limits(5, 256, 1, 64, 1 << 20)


def request(code=CODE, lab_kind="thread-lab", limits=LIMITS, **config):
    return RunRequest(
        schema_version=SCHEMA_VERSION,
        run_id="9",
        tenant_id="1",
        lab_id=lab_kind,
        lab_kind=lab_kind,
        files=(SubmittedFile("main.js", code),),
        entrypoint="main.js",
        limits=limits,
        check_config=config,
        queued_at="2026-12-01T00:00:00+00:00",
    )


def report(**changes):
    data = {
        "harness_version": 1,
        "status": "exited",
        "exit_code": 0,
        "signal": None,
        "wall_ms": 80.0,
        "syntax_error": None,
        "error_line": None,
        "observations": {
            "workers_created": 0,
            "workers_online": 0,
            "messages_to_main": 0,
            "messages_to_worker": 0,
        },
        "output": {"text": "hi\n", "truncated": False, "bytes_total": 3},
        "cgroup": {"oom_kills": 0},
        "harness_error": None,
    }
    data.update(changes)
    return b"HARNESS-REPORT " + json.dumps(data).encode() + b"\n"


def runner(stdout=b"", exit_code=0, oom_killed=False, outer_timeout=False, usage=None):
    def run(job):
        run.job = job
        return SandboxRun(
            exit_code, stdout, oom_killed, outer_timeout, "t", usage=usage or HostUsage()
        )

    return run


def shown(result: RunResult) -> dict[str, str]:
    return {name: entry["text"] for name, entry in result.measurements.items()}


def test_a_program_that_ends_is_completed_with_its_output_and_wall_time():
    result = run_request(request(), runner(report()))
    assert result.outcome == "completed"
    assert result.message == "Your program ended on its own, exit code 0."
    assert result.output.text == "hi\n"
    assert shown(result) == {"wall_ms": "80 ms"}
    assert result.times.queued and result.times.container_started == "t"
    # It decodes on the portal's side: a valid message, never a verdict.
    assert decode(RunResult, json.loads(json.dumps(encode(result)))) == result


def test_the_run_uses_the_same_harness_job_and_clamped_limits_with_quick_settings():
    run = runner(report())
    huge = Limits(wall_seconds=999, memory_mib=99999, cpus=64, pids=9999, output_bytes=1 << 40)
    run_request(request(lab_kind="unblock-the-loop", limits=huge, workers=4), run, Ceilings())
    job = run.job
    assert job.limits == Limits(30.0, 1024, 2.0, 256, 4 * 1024 * 1024)
    assert job.harness_job["lab_kind"] == "unblock-the-loop"
    assert job.harness_job["check_config"] == {"workers": 4, "repeats": 1}
    assert job.harness_job["wall_seconds"] == 30.0
    assert job.submission_id == "run-9"


def test_es_module_code_runs_from_an_mjs_file_as_when_graded():
    run = runner(report())
    run_request(request("import fs from 'node:fs';\nconsole.log(1);\n"), run)
    assert run.job.harness_job["entrypoint"] == "main.mjs" and "main.mjs" in run.job.files


@pytest.mark.parametrize(
    ("run", "outcome", "quoted"),
    [
        (runner(report(status="timeout", exit_code=None, signal="SIGKILL")), "timeout", "5.0 s"),
        (runner(outer_timeout=True, exit_code=None), "timeout", "5.0 s"),
        (
            runner(report(cgroup={"oom_kills": 1}, exit_code=None, signal="SIGKILL")),
            "memory_exceeded",
            "256 MiB",
        ),
        (runner(report(status="output_limit")), "output_limit", "1.0 MiB"),
        (
            runner(report(exit_code=1, error_line="TypeError: x is not a function")),
            "error",
            "TypeError: x is not a function",
        ),
        (
            runner(report(syntax_error={"line": 2, "column": 1, "message": "Unexpected token"})),
            "error",
            "Unexpected token",
        ),
        (runner(b"no report", exit_code=0), "infra_error", "our side"),
        (runner(report(status="harness_error", harness_error="boom")), "infra_error", "our side"),
        (
            runner(exit_code=2, usage=HostUsage(forks_refused=40)),
            "process_limit_exceeded",
            "more processes and threads than the sandbox allows",
        ),
        (
            runner(
                report(status="timeout", exit_code=None, signal="SIGKILL"),
                usage=HostUsage(forks_refused=900),
            ),
            "process_limit_exceeded",
            "(at most",
        ),
    ],
)
def test_each_ending_has_its_outcome_and_sentence(run, outcome, quoted):
    result = run_request(request(), run)
    assert result.outcome == outcome and outcome in RUN_OUTCOMES
    assert quoted in result.message


def test_an_engine_failure_is_ours_and_says_to_run_again():
    def broken(job):
        raise InfrastructureError("daemon down")

    result = run_request(request(), broken)
    assert result.outcome == "infra_error" and "run it again" in result.message
    assert "daemon" not in result.message  # our infrastructure is not the student's business


def test_refused_code_never_reaches_a_sandbox():
    run = runner(report())
    result = run_request(request(code="a\x00b"), run)
    assert result.outcome == "error" and result.message.startswith("This code cannot be run:")
    assert not hasattr(run, "job")


def test_unblock_the_loop_shows_the_stalls_and_the_speedup_in_order():
    result = run_request(
        request(lab_kind="unblock-the-loop"), runner(report(wall_ms=2500.0, measurements=UNBLOCK))
    )
    assert result.outcome == "completed"
    assert shown(result) == {
        "wall_ms": "2.50 s",
        "blocking_stall_p99_ms": "452 ms",
        "one_worker_stall_p99_ms": "10 ms",
        "n_workers_stall_p99_ms": "9.2 ms",
        "speedup": "1.83x",
    }
    assert result.measurements["speedup"]["label"].startswith("Speedup with 2 workers")
    assert result.measurements["speedup"]["value"] == 1.83


def test_spawn_vs_exec_shows_time_and_memory_beside_execs():
    result = run_request(request(lab_kind="spawn-vs-exec"), runner(report(measurements=SPAWN)))
    assert shown(result) == {
        "wall_ms": "80 ms",
        "your_time_ms": "210 ms",
        "your_memory_bytes": "3.0 MiB",
        "exec_time_ms": "190 ms",
        "exec_memory_bytes": "40.0 MiB",
    }


def test_thread_lab_shows_the_main_threads_loop_delay_while_workers_ran():
    result = run_request(request(), runner(report(measurements=THREAD)))
    assert list(shown(result).values()) == ["80 ms", "1.2 ms", "3.4 ms"]
    assert "while workers ran" in result.measurements["main_loop_delay_p99_ms"]["label"]


@pytest.mark.parametrize(
    ("problem", "quoted"),
    [
        ({"problem": "load_error", "problem_detail": "SyntaxError: oops"}, "Loading your file"),
        ({"problem": "solve_missing"}, "does not export"),
        ({"problem": "threw", "problem_detail": "solve() threw Error: no"}, "threw Error: no."),
    ],
)
def test_a_driven_lab_that_could_not_measure_says_why_without_judging(problem, quoted):
    result = run_request(request(lab_kind="unblock-the-loop"), runner(report(measurements=problem)))
    assert result.outcome == "completed" and quoted in result.message
    assert shown(result) == {"wall_ms": "80 ms"}  # nothing was measured, nothing is made up


def test_the_result_is_published_for_record_run_under_its_own_job_id(redis_url):
    connection = Redis.from_url(redis_url)
    result = run_request(request(), runner(report()))
    publish_run_result(connection, result, RUN_RESULT_VERSION)
    queue = Queue(RESULTS_QUEUE, connection=connection, serializer=JSONSerializer)
    jobs = queue.get_jobs()
    assert [job.id for job in jobs] == [run_result_job_id("9")]
    assert jobs[0].func_name == RECORD_RUN_JOB
    assert decode(RunResult, jobs[0].args[0]) == result
    connection.close()
