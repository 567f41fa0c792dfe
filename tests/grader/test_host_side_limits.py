"""The limits a sandbox hit, seen from the host, in a real sandbox under runc and runsc.

Under runsc the harness sees no cgroup and a sandbox may die whole, with no report: the
grader reads the container's host cgroup and the Engine's State.OOMKilled instead, so both
runtimes give the same verdicts and the same `host_usage` figures.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime

import pytest

from contract import SCHEMA_VERSION, GradeRequest, GradeResult, Limits, SubmittedFile
from grader.adapter import load_adapter
from grader.pipeline import grade_request
from grader.sandbox import run_in_sandbox
from tests.conftest import both_runtimes

pytestmark = [pytest.mark.docker, both_runtimes]

LIMITS = Limits(wall_seconds=3.0, memory_mib=128, cpus=1.0, pids=64, output_bytes=1 << 20)
# Paced, 4 MiB every 10 ms: the host samples the cgroup's peak 10 times a second, and an
# unpaced loop on Node 22 fills the 128 MiB between two samples, so the last reading before
# the cgroup goes can be far below the limit.
MEMORY_HOG = "const kept = [];\nsetInterval(() => kept.push(Buffer.alloc(4 << 20, 1)), 10);\n"
# The hog in a child process: under runc the kernel kills the child and the harness reports;
# under runsc the whole sandbox goes, with no report.
CHILD_MEMORY_HOG = f"""\
const {{ spawnSync }} = require('child_process');
const child = spawnSync(process.execPath, ['-e', {MEMORY_HOG!r}], {{ stdio: 'inherit' }});
console.log('child ended', child.status, child.signal);
"""
FORK_BOMB = """\
const { spawn } = require('child_process');
spawn('/bin/sh', ['-c', 'bomb() { bomb | bomb & }; bomb'], { stdio: 'ignore' });
setInterval(() => {}, 1000);
"""
# Two threads spinning on a quarter of a CPU: the quota must hold them back, however busy
# the host is.
CPU_BOUND = """\
const { Worker } = require('worker_threads');
const spin = 'const end = Date.now() + 1200; while (Date.now() < end) {}';
new Worker(spin, { eval: true });
new Worker(spin, { eval: true });
"""


@pytest.fixture
def grade(sandbox_runtime, docker_client, sandbox_image, no_leftover_containers):
    """Grade a Node program as the thread lab, its sandbox under `sandbox_runtime`."""
    adapter = load_adapter("node")

    def run(source: str, limits: Limits = LIMITS) -> GradeResult:
        request = GradeRequest(
            schema_version=SCHEMA_VERSION,
            submission_id=f"host-side-{uuid.uuid4().hex[:8]}",
            tenant_id="1",
            lab_id="thread-lab",
            lab_kind="thread-lab",
            files=(SubmittedFile("main.js", source),),
            entrypoint="main.js",
            limits=limits,
            queued_at=datetime.now(UTC).isoformat(),
        )
        runner = functools.partial(
            run_in_sandbox, docker_client, sandbox_image, runtime=sandbox_runtime
        )
        result = grade_request(request, runner, adapter=adapter)
        assert result.sandbox_runtime == sandbox_runtime
        return result

    return run


@pytest.mark.parametrize("source", [MEMORY_HOG, CHILD_MEMORY_HOG], ids=["main", "child"])
def test_a_memory_hog_is_memory_exceeded_with_its_peak_read_on_the_host(grade, source):
    result = grade(source)

    assert (result.verdict, result.gradable) == ("memory_exceeded", True), result.feedback
    usage = result.measurements["host_usage"]
    # The hog was seen filling the container (the kernel may charge a page over the limit).
    assert usage["memory_peak_bytes"] > (LIMITS.memory_mib << 20) // 2, usage


def test_a_fork_bomb_gets_the_process_limit_verdict(grade, sandbox_runtime):
    result = grade(FORK_BOMB)

    assert result.gradable is True, result.feedback
    assert result.verdict == "process_limit_exceeded", result.feedback
    assert result.score == 0.0
    assert "more processes and threads than the sandbox allows (at most 64)" in result.feedback
    # The evidence: forks the host refused at the pids limit, or, when RLIMIT_NPROC inside
    # gVisor held the bomb before the Sentry exhausted the host's pids (the host then refused
    # nothing), every task the limit allows in use when the harness stopped it.
    refused = result.measurements["host_usage"]["forks_refused"]
    tasks = result.measurements.get("tasks_at_stop")
    assert refused > 0 or (tasks and tasks["count"] >= tasks["limit"]), result.measurements


def test_a_cpu_bound_program_is_throttled_and_the_host_says_how_much(grade):
    quarter = Limits(**{**LIMITS.__dict__, "cpus": 0.25})
    result = grade(CPU_BOUND, quarter)

    usage = result.measurements["host_usage"]
    assert usage["cpu_periods"] > 0, usage
    assert usage["throttled_periods"] > 0 and usage["throttled_ms"] > 0, usage
    # The quota the harness reports is the grader's, not what the cgroup inside shows
    # (under runsc: nothing).
    assert result.measurements["cpu_quota_cpus"] == quarter.cpus
