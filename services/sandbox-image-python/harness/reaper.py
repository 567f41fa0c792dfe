"""Ends the student's processes.

The program runs in its own process group (its own session), so one signal to the group
ends it and every child it did not detach. A child that did detach (os.setsid, a double
fork) escapes the group and would keep the container and its pipes alive until the
grader's outer timeout: after the program ends the harness therefore signals every process
it is allowed to, which inside the container means every process of uid 10001 but itself
(PID 1, docker-init, is root's). The report is printed only once none is left, so a dying
student process cannot write after it. A port of the Node harness's reaper.js.
"""

from __future__ import annotations

import os
import signal
import time


def kill_process_group(pgid: int) -> bool:
    """SIGKILL the process group `pgid`; False when it is already gone."""
    if pgid <= 0:
        return False
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def inside_sandbox_container() -> bool:
    """True when the harness is the container's main process (docker-init's child, or PID 1).

    Elsewhere, say a developer running run.py by hand, kill(-1) would end every process of
    the developer's user, so it is never sent.
    """
    return os.getpid() == 1 or os.getppid() == 1


def kill_everything_else() -> bool:
    """SIGKILL every process we may signal but ourselves; False when none was left."""
    if not inside_sandbox_container():
        return False
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def wait_until_alone(timeout_seconds: float) -> bool:
    """Kill every other process until none is left (True), or give up after the timeout."""
    if not inside_sandbox_container():
        return False
    deadline = time.monotonic() + timeout_seconds
    while kill_everything_else():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True
