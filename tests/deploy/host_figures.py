"""What a deployed grader read of a sandbox from the host's side, checked in its GradeResult.

A grader in a container sees its own cgroup namespace at /sys/fs/cgroup; compose and the
Swarm stack mount the host's cgroup tree into it read-only and name it
(GRADER_HOST_CGROUP_DIR). Every figure of `measurements.host_usage` is then read from the
sandbox's host cgroup (grader/host_usage.py); without the mount every one is null.
"""

from __future__ import annotations


def assert_host_figures(measurements: dict) -> None:
    """Every host figure is there, and an honest solution's run shows no kill and no refusal."""
    usage = measurements["host_usage"]
    print(f"\nhost_usage: {usage}")
    assert None not in usage.values(), usage
    assert usage["memory_peak_bytes"] > 0 and usage["cpu_periods"] > 0, usage
    assert usage["oom_kills"] == 0 and usage["forks_refused"] == 0, usage
