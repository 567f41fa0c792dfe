"""Count the tasks (processes and threads) alive in the sandbox against its process limit.

Taken at the wall timeout, before the kill. A fork bomb spins at the limit until then, and
this count is how the grader tells it from a program that merely ran out of time under runsc
(gVisor): there the student's limit is RLIMIT_NPROC inside the sandbox, whose refused forks
the host's pids cgroup never counts. Under runc the limit is the container's pids limit (the
job's `pids`), and the count agrees with the host's counters. Every task in the sandbox
counts: init, the harness and the student's run all have the sandbox's uid, and both limits
count threads. The same rule as the Node harness's tasks.js.
"""

from __future__ import annotations

import os
import resource
from typing import Any

# The count moves as a bomb's processes end and others take their place: its peak over a
# few quick reads is the number of tasks the limit held.
SAMPLES = 5


def count_tasks(proc_root: str = "/proc") -> int | None:
    """Tasks (threads of every process) visible in `proc_root`."""
    try:
        entries = os.listdir(proc_root)
    except OSError:
        return None
    count = 0
    for entry in entries:
        if entry.isdigit():
            try:
                count += len(os.listdir(f"{proc_root}/{entry}/task"))
            except OSError:
                pass  # it ended while we read
    return count


def tasks_at_stop(job_pids: Any) -> dict[str, int] | None:
    """{"count", "limit"}: the most tasks seen at once and the limit they count against, or
    None when no limit is known (a job without limits, outside a container)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY and soft > 0:
        limit = soft
    elif isinstance(job_pids, int) and job_pids > 0:
        limit = job_pids
    else:
        return None
    counts = [count for count in (count_tasks() for _ in range(SAMPLES)) if count is not None]
    return {"count": max(counts), "limit": limit} if counts else None
