"""Graders sharing a host take turns at the labs that time a speedup, and only at those.

The slots are real `flock`s on files, held by real processes: a second process finds the
only slot taken, gets it once the holder lets go, and gets it back when the holder dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cpu_slots import CpuSlots
from grader.pipeline import grade_request
from grader.trial import run_request

from .test_pipeline import report, request, runner
from .test_trial import request as run_request_for

HOLDER = """
import sys
from pathlib import Path
from grader.cpu_slots import CpuSlots
with CpuSlots(Path(sys.argv[1]), host_cpus=2, wait_seconds=5).hold(2.0) as got:
    print("held" if got else "busy", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def holder(tmp_path):
    """A separate process that holds the host's only 2-CPU slot until its stdin closes."""
    command = [sys.executable, "-c", HOLDER, str(tmp_path)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout.readline().strip() == "held"
        yield process
        process.kill()


def release(process: subprocess.Popen) -> None:
    process.stdin.close()
    process.wait(10)


def test_a_two_core_host_times_one_two_cpu_run_at_a_time_and_a_bigger_host_more():
    assert CpuSlots(host_cpus=2).count(2.0) == 1
    assert CpuSlots(host_cpus=8).count(2.0) == 4
    assert CpuSlots(host_cpus=8).count(1.5) == 4  # a fraction of a core still takes one
    assert CpuSlots(host_cpus=1).count(2.0) == 1  # never none: the run must happen


def test_a_taken_slot_is_waited_for_then_given_up_on(tmp_path, holder):
    with CpuSlots(tmp_path, host_cpus=2, wait_seconds=0.3).hold(2.0) as got:
        assert got is False


def test_a_released_slot_is_taken_by_the_next_grader(tmp_path, holder):
    release(holder)
    with CpuSlots(tmp_path, host_cpus=2, wait_seconds=5).hold(2.0) as got:
        assert got is True


def test_a_killed_holder_frees_its_slot(tmp_path, holder):
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    with CpuSlots(tmp_path, host_cpus=2, wait_seconds=5).hold(2.0) as got:
        assert got is True


def _slot_taken_during(lock_dir: Path):
    """A sandbox runner that records whether the host's only slot was taken while it ran."""
    run_report = runner(report())

    def run(job):
        with CpuSlots(lock_dir, host_cpus=1, wait_seconds=0).hold(1.0) as free:
            run.slot_taken = not free
        return run_report(job)

    return run


def test_a_grading_that_times_a_speedup_holds_a_slot_while_its_sandbox_runs(tmp_path):
    run = _slot_taken_during(tmp_path)
    slots = CpuSlots(tmp_path, host_cpus=1, wait_seconds=1)
    grade_request(request(lab_kind="unblock-the-loop"), run, cpu_slots=slots)
    assert run.slot_taken is True
    with slots.hold(1.0) as got:
        assert got is True, "the slot stayed taken after the grading"


def test_other_labs_never_wait_for_a_slot(tmp_path):
    lock_dir = tmp_path / "slots"
    result = grade_request(request(), runner(report()), cpu_slots=CpuSlots(lock_dir))
    assert result.verdict == "passed"
    assert not lock_dir.exists(), "a Thread Lab grading asked for a CPU slot"


def test_a_run_of_a_speed_lab_holds_a_slot_too(tmp_path):
    run = _slot_taken_during(tmp_path)
    slots = CpuSlots(tmp_path, host_cpus=1)
    run_request(run_request_for(lab_kind="unblock-the-loop"), run, cpu_slots=slots)
    assert run.slot_taken is True
