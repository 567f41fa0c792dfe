"""The grading benchmark's baseline is the grader's own job: for each grader kind, the plain
`docker run` gets the files, job.json, limits and container flags the grader would give;
and it says where the time goes, phase by phase, on both sides.

Mostly without Docker: the pipeline runs with a sandbox runner that records the job it is
handed, and the phase breakdown is computed from given timestamps. One short real run (the
`docker` mark) checks that a whole run prints the breakdown with every phase.
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
from grader.limits import docker_run_options
from grader.pipeline import grade_request
from grader.sandbox import InfrastructureError
from grader.seccomp import PROFILE_PATH

BENCH = Path(__file__).resolve().parents[2] / "bench" / "grading.py"
# The phases a run must show: the grader's and the plain `docker run`'s (grading_phases).
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
    "remove",
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


def test_an_option_the_baseline_cannot_spell_stops_the_benchmark(bench, monkeypatch):
    def with_a_new_option(limits, ipc_mode="none"):
        return docker_run_options(limits, ipc_mode) | {"runtime": "runsc"}

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
def test_a_short_run_prints_where_the_time_goes_on_both_sides(breakdown, sandbox_image, tmp_path):
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
    phases = json.loads(out.read_text())["node"]["phases_ms"]
    assert set(phases["grader"]) == GRADER_PHASES
    assert set(phases["docker_run"]) == DOCKER_RUN_PHASES
    assert "overhead_ratio_p50" in finished.stdout and "throughput_ratio" in finished.stdout
    table = finished.stdout.split("node: where the time goes")[1]
    labels = {key: label for key, label, _ in breakdown.ROWS}
    for phase in GRADER_PHASES | DOCKER_RUN_PHASES:
        assert f"\n  {labels[phase]} " in table, phase
    assert "record" in table and "between jobs" in table
