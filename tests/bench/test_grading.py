"""The grading benchmark's baseline is the grader's own job: for each grader kind, the plain
`docker run` gets the files, job.json, limits and container flags the grader would give.

No Docker: the pipeline runs with a sandbox runner that records the job it is handed.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from grader.cpu_slots import CpuSlots
from grader.limits import docker_run_options
from grader.pipeline import grade_request
from grader.sandbox import InfrastructureError
from grader.seccomp import PROFILE_PATH

BENCH = Path(__file__).resolve().parents[2] / "bench" / "grading.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("grading_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


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
