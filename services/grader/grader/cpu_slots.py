"""CPU slots: graders on one host take turns at the labs that time a parallel speedup.

A lab that judges a speedup from wall-clock times needs the CPUs its quota promises. Two
graders on a 2-core host measuring at once each get about one core, so the honest N-worker
split reaches no speedup and the check can only say `inconclusive`. Graders that share a
host therefore share a directory of lock files (GRADER_CPU_LOCK_DIR; in compose, one volume
mounted into every replica): a speed-measuring grading holds one slot while its sandbox
runs, and the host has `cores // quota` slots. Other labs never wait for a slot.

The locks are `flock`s, so a grader killed mid-run frees its slot with its process. The
wait is bounded: past it the grading runs anyway, and a measurement spoilt by the
contention is inconclusive and measured again, as on a host busy with anything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LOCK_DIR = Path("/tmp/course-grader-cpu-slots")
DEFAULT_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CpuSlots:
    """Where the host's slot locks live, how many cores it has, how long to wait for one."""

    lock_dir: Path = DEFAULT_LOCK_DIR
    host_cpus: int = os.cpu_count() or 1
    wait_seconds: float = DEFAULT_WAIT_SECONDS

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> CpuSlots:
        """GRADER_CPU_LOCK_DIR, GRADER_HOST_CPUS and GRADER_CPU_SLOT_WAIT_SECONDS."""
        env = os.environ if environ is None else environ
        return cls(
            lock_dir=Path(env.get("GRADER_CPU_LOCK_DIR", str(DEFAULT_LOCK_DIR))),
            host_cpus=int(env.get("GRADER_HOST_CPUS", os.cpu_count() or 1)),
            wait_seconds=float(env.get("GRADER_CPU_SLOT_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)),
        )

    def count(self, quota_cpus: float) -> int:
        """How many runs with this CPU quota the host can time at once (at least one)."""
        return max(1, self.host_cpus // max(1, math.ceil(quota_cpus)))

    @contextlib.contextmanager
    def hold(self, quota_cpus: float) -> Iterator[bool]:
        """Hold a slot for the block; yields False when none came free within the wait."""
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        paths = [self.lock_dir / f"slot-{index}.lock" for index in range(self.count(quota_cpus))]
        deadline = time.monotonic() + self.wait_seconds
        while True:
            for path in paths:
                descriptor = _try_lock(path)
                if descriptor is not None:
                    try:
                        yield True
                    finally:
                        os.close(descriptor)  # closing the file releases its flock
                    return
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(POLL_SECONDS)


def _try_lock(path: Path) -> int | None:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor
