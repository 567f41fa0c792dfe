"""What a sandbox used, read from the host's side: its cgroup on the Engine's host.

Inside the container the harness cannot see the truth under every runtime: under runsc
(gVisor) its /sys/fs/cgroup is empty, and a sandbox that dies (an OOM that takes the whole
sandbox, a fork bomb that makes gVisor's Sentry give up) leaves no report at all. The
kernel's counters of the container's host cgroup hold for both runtimes: CPU throttling
(cpu.stat), peak memory, OOM kills and forks refused at the pids limit (pids.events "max").

The counters only grow, but the cgroup goes away with the container (runc removes it when
the container exits), so `UsageWatch` samples it while the container runs and keeps the
last reading; one more read after the exit catches the cgroups a runtime leaves behind
(runsc under the cgroupfs driver). A grader in a container sees its own cgroup namespace at
/sys/fs/cgroup, so compose, the swarm stack and the Kubernetes manifests mount the host's
tree read-only elsewhere and name it (GRADER_HOST_CGROUP_DIR, grader.config): a bind mount
shows the host's whole hierarchy whatever the reader's cgroup namespace. A grader that
cannot see it (a remote Engine, no such mount) finds no cgroup: every figure is then None,
never a guess.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Often enough that the last reading before a runc container's cgroup goes is a fresh one.
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class HostUsage:
    """The container's cgroup counters; None where the host's cgroup could not be read."""

    cpu_periods: int | None = None  # CFS periods in which the container ran
    throttled_periods: int | None = None  # periods in which the CPU quota stopped it
    throttled_ms: float | None = None  # total time it was held back by the quota
    memory_peak_bytes: int | None = None  # the most memory it held at once
    oom_kills: int | None = None  # processes the kernel killed at the memory limit
    forks_refused: int | None = None  # forks (and threads) refused at the pids limit

    def merged(self, later: HostUsage) -> HostUsage:
        """The larger of two readings, figure by figure (the counters only grow)."""
        values = {}
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(later, field.name)
            values[field.name] = (
                theirs if mine is None else mine if theirs is None else max(mine, theirs)
            )
        return HostUsage(**values)

    def as_measurements(self) -> dict[str, int | float | None]:
        """The figures as a GradeResult's `measurements["host_usage"]`."""
        return asdict(self)


def cgroup_dirs(container_id: str, cgroup_parent: str = "", root: Path = CGROUP_ROOT) -> list[Path]:
    """Where the container's host cgroup may be, for cgroup v2 or v1, most likely first.

    The systemd driver puts it in a scope, <slice>/docker-<id>.scope, the slice being the
    container's HostConfig.CgroupParent or system.slice (a slice "a-b.slice" lies at
    a.slice/a-b.slice); the cgroupfs driver in <parent>/<id>, the parent being the
    CgroupParent or "docker". v2 has one tree; v1 one per controller, and the memory tree
    stands for all of them. `root` is the host's cgroup filesystem as this process sees it:
    /sys/fs/cgroup on the host, where the grader's container mounts it otherwise
    (GRADER_HOST_CGROUP_DIR).
    """
    parent = cgroup_parent.strip("/")
    scope = _slice_path(parent if parent.endswith(".slice") else "system.slice")
    places = [scope / f"docker-{container_id}.scope", Path(parent or "docker") / container_id]
    if (root / "cgroup.controllers").exists():
        return [root / place for place in places]
    return [root / "memory" / place for place in places]


def _slice_path(name: str) -> Path:
    """Where systemd keeps a slice: each dash opens a level ("a-b.slice": a.slice/a-b.slice)."""
    parts = name.removesuffix(".slice").split("-")
    return Path(*("-".join(parts[: level + 1]) + ".slice" for level in range(len(parts))))


def read_usage(container_id: str, cgroup_parent: str = "", root: Path = CGROUP_ROOT) -> HostUsage:
    """The container's counters now; every figure None when its cgroup is not there."""
    for place in cgroup_dirs(container_id, cgroup_parent, root):
        if place.is_dir():
            if (root / "cgroup.controllers").exists():
                return _read_v2(place)
            return _read_v1(root, place.relative_to(root / "memory"))
    return HostUsage()


def _read_v2(place: Path) -> HostUsage:
    stat = _keyed(place / "cpu.stat")
    throttled_usec = stat.get("throttled_usec")
    return HostUsage(
        cpu_periods=stat.get("nr_periods"),
        throttled_periods=stat.get("nr_throttled"),
        throttled_ms=None if throttled_usec is None else round(throttled_usec / 1e3, 1),
        memory_peak_bytes=_integer(place / "memory.peak"),
        oom_kills=_keyed(place / "memory.events").get("oom_kill"),
        forks_refused=_keyed(place / "pids.events").get("max"),
    )


def _read_v1(root: Path, relative: Path) -> HostUsage:
    stat = _keyed(root / "cpu" / relative / "cpu.stat")
    throttled_ns = stat.get("throttled_time")
    memory = root / "memory" / relative
    return HostUsage(
        cpu_periods=stat.get("nr_periods"),
        throttled_periods=stat.get("nr_throttled"),
        throttled_ms=None if throttled_ns is None else round(throttled_ns / 1e6, 1),
        memory_peak_bytes=_integer(memory / "memory.max_usage_in_bytes"),
        oom_kills=_keyed(memory / "memory.oom_control").get("oom_kill"),
        forks_refused=_keyed(root / "pids" / relative / "pids.events").get("max"),
    )


def _keyed(file: Path) -> dict[str, int]:
    """The "name value" lines of a cgroup file whose value is an integer; {} if unreadable."""
    try:
        text = file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def _integer(file: Path) -> int | None:
    try:
        text = file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class UsageWatch:
    """Samples a running container's host cgroup in a thread, keeping the latest figures.

    Use as a context manager around the wait for the container; `usage` after the block is
    the merge of every reading, with one last read at the exit.
    """

    def __init__(
        self, container_id: str, cgroup_parent: str = "", root: Path = CGROUP_ROOT
    ) -> None:
        self._read = lambda: read_usage(container_id, cgroup_parent, root)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="usage-watch", daemon=True)
        self.usage = HostUsage()

    def __enter__(self) -> UsageWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.usage = self.usage.merged(self._read())

    def _sample(self) -> None:
        while True:
            self.usage = self.usage.merged(self._read())
            if self._stop.wait(SAMPLE_SECONDS):
                return
