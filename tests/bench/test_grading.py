"""The grading benchmark's baseline is the grader's own job: for each grader kind, the plain
`docker run` gets the files, job.json, limits and container flags the grader would give
(under each sandbox runtime); it says where the time goes, phase by phase, on both sides;
and each runtime's figures are ratios against the same plain `docker run` under runc.

Mostly without Docker: the pipeline runs with a sandbox runner that records the job it is
handed, and the phase breakdown and the ratios are computed from given timings. One short
real run (the `docker` mark) checks that a whole run, under each runtime the Engine has,
prints the runtimes side by side and the breakdown with every phase.
"""

import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from grader.cpu_slots import CpuSlots
from grader.limits import RUNSC_HOST_PIDS_BASE, RUNSC_HOST_PIDS_PER_TASK, docker_run_options
from grader.pipeline import grade_request
from grader.sandbox import InfrastructureError
from grader.seccomp import PROFILE_PATH

BENCH = Path(__file__).resolve().parents[2] / "bench" / "grading.py"
# The phases a run must show: the grader's and the plain `docker run`'s (grading_phases). The
# grader removes its container after it published the result, so its removal is no phase of
# a grading (grader.sandbox.ContainerRemovals).
GRADER_PHASES = {
    "queue_pickup",
    "job_setup",
    "prepare",
    "cpu_slot",
    "create",
    "copy",
    "start",
    "harness",
    "student_run",
    "logs",
    "inspect",
    "judge",
    "publish",
}
DOCKER_RUN_PHASES = {"create", "start", "harness", "student_run", "remove", "cli_exit"}


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH.parent))  # as when run as a script: its sibling modules
    spec = importlib.util.spec_from_file_location("grading_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]
    sys.path.remove(str(BENCH.parent))


@pytest.fixture(scope="module")
def breakdown(bench):
    return sys.modules["grading_phases"]


def graded_job(grader, tmp_path):
    """The SandboxJob the pipeline builds for the benchmark's submission."""
    jobs = []

    def runner(job):
        jobs.append(job)
        raise InfrastructureError("recorded, not run")

    slots = CpuSlots(lock_dir=tmp_path, host_cpus=4)
    result = grade_request(grader.request("recorded"), runner, None, slots, grader.adapter)
    assert result.verdict == "infra_error" and len(jobs) == 1
    return jobs[0]


@pytest.mark.parametrize("name", ["node", "python"])
def test_the_baseline_runs_the_job_the_grader_runs(bench, name, tmp_path):
    grader = bench.GRADERS[name]
    job = graded_job(grader, tmp_path)
    files, harness_job = grader.harness_job()

    assert (files, harness_job) == (job.files, job.harness_job)
    assert grader.limits == job.limits
    assert grader.adapter.ipc_mode == job.ipc_mode


def test_the_python_grader_is_measured_on_its_own_queue_image_and_lab(bench, monkeypatch):
    python = bench.GRADERS["python"]
    monkeypatch.delenv("PYTHON_SANDBOX_IMAGE", raising=False)

    assert (python.adapter.name, python.queue) == ("python", "grading-python")
    assert python.image == "course-sandbox-python:1"
    monkeypatch.setenv("PYTHON_SANDBOX_IMAGE", "course-sandbox-python:test")  # as make sets it
    assert python.image == "course-sandbox-python:test"
    assert python.lab in python.adapter.lab_kinds and python.solution.is_file()
    assert python.request("x").check_config == python.harness_job()[1]["check_config"]


@pytest.mark.parametrize("name", ["node", "python"])
def test_the_baseline_flags_spell_out_every_option_the_grader_gives_the_engine(bench, name):
    grader = bench.GRADERS[name]
    flags = bench.cli_flags(grader.limits, grader.adapter.ipc_mode)
    limits = grader.limits

    assert f"--ipc={grader.adapter.ipc_mode}" in flags
    assert ("--shm-size=64m" in flags) == (grader.adapter.ipc_mode == "private")
    assert f"--cpus={limits.cpus}" in flags and f"--pids-limit={limits.pids}" in flags
    assert f"--memory={limits.memory_mib}m" in flags
    assert f"--memory-swap={limits.memory_mib}m" in flags
    assert {"--read-only", "--init", "--network=none", "--cap-drop=ALL"} <= set(flags)
    # The CLI reads the grader's seccomp profile from its file (grader.seccomp).
    assert f"--security-opt=seccomp={PROFILE_PATH}" in flags


@pytest.mark.parametrize("name", ["node", "python"])
def test_under_runsc_the_baseline_gets_the_options_the_grader_gives_the_engine_there(bench, name):
    grader = bench.GRADERS[name]
    limits = grader.limits
    flags = bench.cli_flags(limits, grader.adapter.ipc_mode, "runsc")

    # runsc filters system calls itself (no seccomp profile) and holds the process limit
    # inside the sandbox, with a host pids limit for its own threads around it.
    assert "--security-opt=no-new-privileges" in flags
    assert not any(flag.startswith("--security-opt=seccomp") for flag in flags)
    assert f"--ulimit=nproc={limits.pids}:{limits.pids}" in flags
    host_pids = limits.pids * RUNSC_HOST_PIDS_PER_TASK + RUNSC_HOST_PIDS_BASE
    assert f"--pids-limit={host_pids}" in flags
    assert {"--read-only", "--init", "--network=none", "--cap-drop=ALL"} <= set(flags)


def test_workers_under_another_runtime_wait_on_a_queue_of_their_own(bench):
    node = bench.GRADERS["node"]
    under_runsc = bench.replace(node, runtime="runsc")

    assert node.runtime == "runc" and node.worker_queue == node.queue
    assert under_runsc.worker_queue == f"{node.queue}-runsc"
    # The same submission and job: only where it runs differs.
    assert under_runsc.request("x").files == node.request("x").files
    assert under_runsc.harness_job() == node.harness_job()


def test_an_option_the_baseline_cannot_spell_stops_the_benchmark(bench, monkeypatch):
    def with_a_new_option(limits, ipc_mode="none", runtime="runc"):
        return docker_run_options(limits, ipc_mode, runtime) | {"runtime": "runsc"}

    monkeypatch.setattr(bench, "docker_run_options", with_a_new_option)
    grader = bench.GRADERS["python"]

    with pytest.raises(RuntimeError, match="runtime"):
        bench.cli_flags(grader.limits, grader.adapter.ipc_mode)


def test_the_graders_phases_fill_the_time_from_enqueue_to_published(breakdown):
    enqueued = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    taken = enqueued + timedelta(milliseconds=4)
    grading = taken + timedelta(milliseconds=30)
    published = grading + timedelta(milliseconds=500)
    laps = {"prepare": 1.0, "create": 40.0, "harness": 150.0, "student_run": 300.0}

    phases = breakdown.grader_phases(enqueued, taken, grading, published, laps)

    assert phases == laps | {"queue_pickup": 4.0, "job_setup": 30.0, "publish": 9.0}
    assert sum(phases.values()) == pytest.approx(534.0)


def test_a_plain_runs_phases_come_from_its_containers_engine_events(breakdown):
    events = [
        {"Action": "create", "timeNano": 1_000_050_000_000},
        {"Action": "attach", "timeNano": 1_000_055_000_000},
        {"Action": "start", "timeNano": 1_000_150_000_000},
        {"Action": "die", "timeNano": 1_000_550_000_000},
        {"Action": "destroy", "timeNano": 1_000_580_000_000},
    ]

    phases = breakdown.docker_run_phases(
        1000.0, breakdown.first_events(events), 1000.6, student_wall_ms=300.0
    )

    assert phases == {
        "create": 50.0,
        "start": 100.0,
        "harness": 100.0,
        "student_run": 300.0,
        "remove": 30.0,
        "cli_exit": 20.0,
    }


def test_the_table_shows_each_phase_with_its_share_and_says_record_is_not_measured(breakdown):
    grader = {"create": 30.0, "copy": 10.0, "student_run": 60.0}
    plain = {"create": 20.0, "student_run": 60.0}

    table = breakdown.format_breakdown("node", grader, plain)

    assert "container create          30.0  30%      20.0  25%" in table
    assert "file copy                 10.0  10%         -" in table
    assert "total" in table and "+20.0" in table
    assert "record" in table and "not measured" in table
    assert breakdown.medians([{"a": 1.0}, {"a": 3.0, "b": 2.0}, {"a": 2.0}]) == {
        "a": 2.0,
        "b": 2.0,
    }


@pytest.mark.docker
def test_a_short_run_prints_where_the_time_goes_on_both_sides(
    bench, breakdown, sandbox_image, docker_client, tmp_path
):
    """Under each runtime the Engine has: runc alone on a host without gVisor, runc and
    runsc side by side where it is registered (CI registers it)."""
    runtimes = ["runc"] + (["runsc"] if "runsc" in docker_client.info()["Runtimes"] else [])
    out = tmp_path / "grading.json"
    arguments = ["--graders", "node", "--samples", "2", "--batch", "2", "--reruns", "0"]
    finished = subprocess.run(
        [sys.executable, str(BENCH), *arguments, "--out", str(out)],
        env=os.environ | {"SANDBOX_IMAGE": sandbox_image},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(out.read_text())
    node = figures["node"]
    assert figures["runtimes"] == runtimes and list(node["by_runtime"]) == runtimes
    # runc's figures stay at the top level, as other code reads them.
    assert {key: node[key] for key in bench.RUNC_KEYS} == {
        key: node["by_runtime"]["runc"][key] for key in bench.RUNC_KEYS
    }
    assert node["by_runtime"]["runc"]["plain_ratio_p50"] == 1.0
    for runtime, measured in node["by_runtime"].items():
        assert measured["verdicts"] == {"passed": measured["overhead_samples"]}, runtime
        assert set(measured["phases_ms"]["grader"]) == GRADER_PHASES, runtime
        assert set(measured["phases_ms"]["docker_run"]) == DOCKER_RUN_PHASES, runtime
        assert measured["plain_ratio_p50"] > 0 and measured["throughput_over_plain"] > 0
    assert "overhead_ratio_p50" in finished.stdout and "throughput_ratio" in finished.stdout
    assert ("node (thread-lab) by sandbox runtime" in finished.stdout) == (len(runtimes) > 1)
    table = finished.stdout.split("node: where the time goes")[1]
    labels = {key: label for key, label, _ in breakdown.ROWS}
    for phase in GRADER_PHASES | DOCKER_RUN_PHASES:
        assert f"\n  {labels[phase]} " in table, phase
    assert "record" in table and "between jobs" in table
    for runtime in runtimes[1:]:
        assert f"node under {runtime}: where the time goes" in table


def overhead(bench, grader_seconds, plain_seconds):
    measured = bench.Overhead(grader_seconds=grader_seconds, plain_seconds=plain_seconds)
    measured.verdicts["passed"] = len(grader_seconds)
    return measured


def test_each_runtime_is_a_ratio_against_the_same_plain_run_under_runc(bench):
    runc = overhead(bench, [1.1, 1.2, 1.1], [1.0, 1.0, 1.0])
    runsc = overhead(bench, [2.2, 2.4], [2.0, 2.0])

    figures = bench.overhead_figures(runsc, runc)

    # The grader under runsc against a plain run under runc, split into the runtime's own
    # cost (a plain run under runsc) and the grader's under it.
    assert figures["overhead_ratio_p50"] == pytest.approx(2.2)
    assert figures["plain_ratio_p50"] == pytest.approx(2.0)
    assert figures["overhead_over_plain_p50"] == pytest.approx(1.1)
    assert figures["overhead_ratio_p95"] == pytest.approx(2.4)
    assert figures["overhead_samples"] == 2 and figures["verdicts"] == {"passed": 2}
    baseline = bench.overhead_figures(runc, runc)
    assert baseline["plain_ratio_p50"] == 1.0
    assert baseline["overhead_ratio_p50"] == baseline["overhead_over_plain_p50"] == 1.1


def test_each_runtimes_throughput_is_a_ratio_against_plain_runs_under_runc(bench):
    # runc: 4 plain runs in 2 s (2 a second), 4 through the queue in 2.5 s (1.6 a second);
    # runsc, half the batch: 2 plain runs in 2 s (1 a second), 2 graded in 2.5 s.
    runc = bench.Throughput(4, queue_seconds=2.5, plain_seconds=2.0, between_jobs_ms=[9.0])
    runsc = bench.Throughput(2, queue_seconds=2.5, plain_seconds=2.0, between_jobs_ms=[])

    figures = bench.throughput_figures(runsc, runc)

    assert figures["throughput_ratio"] == pytest.approx(0.4)
    assert figures["plain_throughput_ratio"] == pytest.approx(0.5)
    assert figures["throughput_over_plain"] == pytest.approx(0.8)
    assert (figures["throughput_batch"], figures["between_jobs_ms_p50"]) == (2, None)
    assert bench.throughput_figures(runc, runc)["throughput_ratio"] == pytest.approx(0.8)


def test_each_throughput_round_gives_its_own_ratio_of_queue_and_plain_runs(bench):
    # Two rounds of 4 a side: the queue took 2.0 s then 2.5 s, the plain runs 2.2 s then 2.0 s.
    measured = bench.Throughput(
        8,
        queue_seconds=4.5,
        plain_seconds=4.2,
        between_jobs_ms=[],
        round_seconds=[(2.0, 2.2), (2.5, 2.0)],
    )

    figures = bench.throughput_figures(measured, measured)

    assert figures["throughput_over_plain_by_round"] == [1.1, 0.8]
    assert "0.8" in bench.format_batch(figures, {}) and "1.1" in bench.format_batch(figures, {})


def test_a_runtime_other_than_runc_gets_half_the_runs(bench):
    counted = [sample for sample in range(1, 16) if bench.sampled("runsc", sample)]

    assert len(counted) == 8 and bench.sampled("runsc", 0)  # of 15, and the warm-up
    assert all(bench.sampled("runc", sample) for sample in range(16))
    assert [bench.runtime_share("runsc", batch) for batch in (12, 4, 3, 2, 1)] == [6, 2, 2, 2, 1]
    assert bench.runtime_share("runc", 12) == 12


def test_the_runtimes_stand_side_by_side_for_a_grader_kind(bench):
    def measured(ratio, verdicts, not_held):
        return {
            "overhead_ratio_p50": ratio,
            "plain_ratio_p50": 1.0 if ratio < 2 else 2.0,
            "verdicts": verdicts,
            "checks_not_held": not_held,
        }

    table = bench.format_runtimes(
        "node",
        {
            "lab": "thread-lab",
            "by_runtime": {
                "runc": measured(1.05, {"passed": 3}, {}),
                "runsc": measured(2.31, {"passed": 1, "failed": 1}, {"uses_worker": 1}),
            },
        },
    )

    lines = table.splitlines()
    assert "node (thread-lab)" in lines[0] and "under runc" in lines[0]
    assert lines[1].split()[:3] == ["figure", "runc", "runsc"]
    row = next(line for line in lines if line.strip().startswith("overhead_ratio_p50"))
    assert row.split()[:3] == ["overhead_ratio_p50", "1.05", "2.31"]
    row = next(line for line in lines if line.strip().startswith("plain_ratio_p50"))
    assert row.split()[:3] == ["plain_ratio_p50", "1.0", "2.0"]
    row = next(line for line in lines if line.strip().startswith("throughput_ratio"))
    assert row.split()[:3] == ["throughput_ratio", "-", "-"]
    assert "  runsc: verdicts {'passed': 1, 'failed': 1}, checks not held" in table
