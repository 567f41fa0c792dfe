"""Reads the container's own limits, OOM count and CPU throttling from its cgroup.

Inside the container only the kernel knows whether the student's process was OOM-killed (it
just dies of SIGKILL) and how many CPUs the quota really grants (os.cpu_count() shows the
host's). Handles cgroup v2 (unified: memory.events, cpu.max, memory.max) and v1 (one
hierarchy per controller: memory.oom_control, cpu.cfs_quota_us). Anything unreadable is
None, never an error: the report must still be written. A port of the Node harness's
cgroup.js.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path("/sys/fs/cgroup")
# v1 reports "no limit" as a page-aligned LONG_MAX; anything this large is not a real limit.
UNLIMITED_FLOOR = 2**60


def _read_text(file: Path) -> str | None:
    try:
        return file.read_text()
    except OSError:
        return None


def _keyed_integer(file: Path, key: str) -> int | None:
    """The integer after `key` in a "key value" per line file, or None."""
    text = _read_text(file)
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return None


def _limit(text: str | None) -> int | None:
    value = (text or "").strip()
    if not value.isdigit():
        return None
    number = int(value)
    return None if number >= UNLIMITED_FLOOR else number


def _cpus(quota: int | None, period: int | None) -> float | None:
    if not quota or not period or quota <= 0 or period <= 0:
        return None
    return round(quota / period, 3)


def _unified(root: Path) -> bool:
    return (root / "cgroup.controllers").exists()


def read_cgroup(root: Path = DEFAULT_ROOT) -> dict[str, int | float | None]:
    """The report's `cgroup` section: oom_kills, cpu_quota_cpus, memory_limit_bytes."""
    if _unified(root):
        quota, _, period = (_read_text(root / "cpu.max") or "").strip().partition(" ")
        return {
            "oom_kills": _keyed_integer(root / "memory.events", "oom_kill"),
            "cpu_quota_cpus": _cpus(_limit(quota), _limit(period)),
            "memory_limit_bytes": _limit(_read_text(root / "memory.max")),
        }
    return {
        "oom_kills": _keyed_integer(root / "memory" / "memory.oom_control", "oom_kill"),
        "cpu_quota_cpus": _cpus(
            _limit(_read_text(root / "cpu" / "cpu.cfs_quota_us")),
            _limit(_read_text(root / "cpu" / "cpu.cfs_period_us")),
        ),
        "memory_limit_bytes": _limit(_read_text(root / "memory" / "memory.limit_in_bytes")),
    }


def with_job_limits(
    cgroup: dict[str, int | float | None], limits: dict[str, Any] | None
) -> dict[str, int | float | None]:
    """`cgroup` with the CPU quota and memory limit the grader gave in the job, when it gave
    them: the cgroup inside may not show them (under runsc it is empty)."""
    if limits is None:
        return cgroup
    return {
        **cgroup,
        "cpu_quota_cpus": limits["cpus"],
        "memory_limit_bytes": limits["memory_bytes"],
    }


def read_cpu_stat(root: Path = DEFAULT_ROOT) -> dict[str, float] | None:
    """The CPU throttling counters so far, or None when unreadable.

    {periods, throttled_periods, throttled_ms} from cpu.stat (v1: throttled_time in ns,
    v2: throttled_usec in µs). They only grow: take one reading before the run and one after.
    """
    unified = _unified(root)
    file = root / "cpu.stat" if unified else root / "cpu" / "cpu.stat"
    periods = _keyed_integer(file, "nr_periods")
    throttled = _keyed_integer(file, "nr_throttled")
    throttled_time = _keyed_integer(file, "throttled_usec" if unified else "throttled_time")
    if periods is None or throttled is None or throttled_time is None:
        return None
    throttled_ms = throttled_time / 1e3 if unified else throttled_time / 1e6
    return {"periods": periods, "throttled_periods": throttled, "throttled_ms": throttled_ms}


def cpu_stat_delta(
    before: dict[str, float] | None, after: dict[str, float] | None
) -> dict[str, float] | None:
    """What happened between two read_cpu_stat() readings, or None when either is missing."""
    if before is None or after is None:
        return None
    return {
        "periods": max(0, after["periods"] - before["periods"]),
        "throttled_periods": max(0, after["throttled_periods"] - before["throttled_periods"]),
        "throttled_ms": round(max(0.0, after["throttled_ms"] - before["throttled_ms"]), 1),
    }
