"""Graders sharing a host take turns at the labs that time a speedup, and only at those.

The slots are real `flock`s on files, held by real processes: a second process finds the
only slot taken, gets it once the holder lets go, and gets it back when the holder dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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


GREEDY = """
import sys
from pathlib import Path
from grader.cpu_slots import CpuSlots
slots = CpuSlots(Path(sys.argv[1]), host_cpus=2, wait_seconds=1)
with slots.hold(2.0) as got:
    print("held" if got else "busy", flush=True)
    sys.stdin.readline()
with slots.hold(2.0) as got:  # the next grading, at once
    print("held again" if got else "busy", flush=True)
"""

WAITER = """
import sys
from pathlib import Path
from grader.cpu_slots import CpuSlots
print("waiting", flush=True)
with CpuSlots(Path(sys.argv[1]), host_cpus=2, wait_seconds=30).hold(2.0) as got:
    print("held" if got else "busy", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def start(tmp_path):
    """Start a script in its own process on tmp_path's slots; all are killed at the end."""
    processes = []

    def start_script(script: str) -> subprocess.Popen:
        command = [sys.executable, "-c", script, str(tmp_path)]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        processes.append(process)
        return process

    yield start_script
    for process in processes:
        with process:
            process.kill()


def _queued(lock_dir: Path, count: int) -> None:
    """Wait until `count` waiters stand in line."""
    for _ in range(200):
        queue = lock_dir / "queue"
        if queue.exists() and len([n for n in os.listdir(queue) if n[0] != "."]) == count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count} waiter(s) never queued")


def test_a_grader_that_wants_the_slot_back_at_once_waits_behind_the_one_already_waiting(
    tmp_path, start
):
    greedy = start(GREEDY)
    assert greedy.stdout.readline().strip() == "held"
    waiter = start(WAITER)
    assert waiter.stdout.readline().strip() == "waiting"
    _queued(tmp_path, 1)
    greedy.stdin.write("done\n")
    greedy.stdin.flush()
    assert waiter.stdout.readline().strip() == "held"
    assert greedy.stdout.readline().strip() == "busy", "the slot went back to its holder"


def test_a_waiter_killed_in_line_does_not_hold_up_the_line(tmp_path, holder, start):
    waiter = start(WAITER)
    assert waiter.stdout.readline().strip() == "waiting"
    _queued(tmp_path, 1)
    waiter.kill()
    waiter.wait(10)
    release(holder)
    with CpuSlots(tmp_path, host_cpus=2, wait_seconds=5).hold(2.0) as got:
        assert got is True
    assert not [n for n in os.listdir(tmp_path / "queue") if n[0] != "."], "tickets left"


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
