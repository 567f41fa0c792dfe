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

A sample runs ten times a second beside every sandbox, on the cores the sandboxes need, so
it is kept cheap: the cgroup is looked for only until found, its files are then held open
(`HeldCgroup`) and each sample is four pread calls and a little parsing of bytes.
"""

from __future__ import annotations

import operator
import os
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Often enough that the last reading before a runc container's cgroup goes is a fresh one.
SAMPLE_SECONDS = 0.1
# More than any of the cgroup files read here holds (a few short lines each): one read of a
# kernel cgroup file returns all of it.
READ_BYTES = 4096


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
        return HostUsage(*map(_larger, _figures(self), _figures(later)))

    def as_measurements(self) -> dict[str, int | float | None]:
        """The figures as a GradeResult's `measurements["host_usage"]`."""
        return asdict(self)


# HostUsage's figures in order, their names looked up once rather than on every merge.
_figures = operator.attrgetter(*(field.name for field in fields(HostUsage)))


def _larger(mine: float | None, theirs: float | None) -> float | None:
    return theirs if mine is None else mine if theirs is None else max(mine, theirs)


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


# The files that hold the counters, in HeldCgroup's order. v2 has them in the container's
# directory, v1 in its directory of each controller's tree.
V2_FILES = ("cpu.stat", "memory.peak", "memory.events", "pids.events")
V1_FILES = (
    ("cpu", "cpu.stat"),
    ("memory", "memory.max_usage_in_bytes"),
    ("memory", "memory.oom_control"),  # its "oom_kill" line as in v2's memory.events
    ("pids", "pids.events"),
)


def open_cgroup(
    container_id: str, cgroup_parent: str = "", root: Path = CGROUP_ROOT
) -> HeldCgroup | None:
    """The container's counter files held open; None while its cgroup is not all there."""
    for place in cgroup_dirs(container_id, cgroup_parent, root):
        if place.is_dir():
            if (root / "cgroup.controllers").exists():
                files = [place / name for name in V2_FILES]
                return HeldCgroup.open(files, b"throttled_usec", 1e3)
            relative = place.relative_to(root / "memory")
            files = [root / tree / relative / name for tree, name in V1_FILES]
            return HeldCgroup.open(files, b"throttled_time", 1e6)
    return None


def read_usage(container_id: str, cgroup_parent: str = "", root: Path = CGROUP_ROOT) -> HostUsage:
    """The container's counters now; every figure None when its cgroup is not there."""
    held = open_cgroup(container_id, cgroup_parent, root)
    if held is None:
        return HostUsage()
    try:
        return held.read()
    finally:
        held.close()


class HeldCgroup:
    """A container's counter files, held open and read again on every sample.

    Opening a cgroup file costs the kernel several times what reading it does, so each is
    opened once: a read at offset 0 renders it afresh. Once runc removes the cgroup, a read
    fails (ENODEV) and gives None, so the watch keeps its last reading; the open files do
    not keep runc from removing it.
    """

    def __init__(self, fds: list[int], throttled_key: bytes, throttled_per_ms: float) -> None:
        self._fds = fds  # cpu.stat, the memory peak, the OOM kills, pids.events
        self._throttled_key = throttled_key  # the throttled time's name in cpu.stat
        self._throttled_per_ms = throttled_per_ms  # and its units in a millisecond

    @classmethod
    def open(cls, files: list[Path], throttled_key: bytes, per_ms: float) -> HeldCgroup | None:
        """Every file held open, or None if one is missing (a runtime still making the
        cgroup: look again later)."""
        fds: list[int] = []
        try:
            for file in files:
                fds.append(os.open(file, os.O_RDONLY))
        except OSError:
            for fd in fds:
                os.close(fd)
            return None
        return cls(fds, throttled_key, per_ms)

    def read(self) -> HostUsage:
        """The counters now; None for each file the kernel no longer renders."""
        cpu, peak, events, pids = map(_contents, self._fds)
        stat = _keyed(cpu)
        throttled = stat.get(self._throttled_key)
        throttled_ms = None if throttled is None else round(throttled / self._throttled_per_ms, 1)
        return HostUsage(
            cpu_periods=stat.get(b"nr_periods"),
            throttled_periods=stat.get(b"nr_throttled"),
            throttled_ms=throttled_ms,
            memory_peak_bytes=int(peak) if peak.strip().isdigit() else None,
            oom_kills=_keyed(events).get(b"oom_kill"),
            forks_refused=_keyed(pids).get(b"max"),
        )

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)


def _contents(fd: int) -> bytes:
    """The whole file, read from its start; b"" once the kernel no longer renders it."""
    try:
        return os.pread(fd, READ_BYTES, 0)
    except OSError:  # ENODEV: the cgroup was removed
        return b""


def _keyed(text: bytes) -> dict[bytes, int]:
    """The "name value" lines of a cgroup file whose value is an integer."""
    found = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


class UsageWatch:
    """Samples a running container's host cgroup in a thread, keeping the latest figures.

    Use as a context manager around the wait for the container; `usage` after the block is
    the merge of every reading, with one last read at the exit.
    """

    def __init__(
        self, container_id: str, cgroup_parent: str = "", root: Path = CGROUP_ROOT
    ) -> None:
        self._open = lambda: open_cgroup(container_id, cgroup_parent, root)
        self._held: HeldCgroup | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="usage-watch", daemon=True)
        self.usage = HostUsage()

    def __enter__(self) -> UsageWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        try:
            self.usage = self.usage.merged(self._read())
        finally:
            if self._held is not None:
                self._held.close()

    def _read(self) -> HostUsage:
        """A reading now. The cgroup is looked for until all its files are found (runsc's
        may come after the first sample), then read from the files held open."""
        if self._held is None:
            self._held = self._open()
            if self._held is None:
                return HostUsage()
        return self._held.read()

    def _sample(self) -> None:
        while True:
            self.usage = self.usage.merged(self._read())
            if self._stop.wait(SAMPLE_SECONDS):
                return
