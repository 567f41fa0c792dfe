"""CPU slots: graders on one host take turns at the labs that time a parallel speedup.

A lab that judges a speedup from wall-clock times needs the CPUs its quota promises. Two
graders on a 2-core host measuring at once each get about one core, so the honest N-worker
split reaches no speedup and the check can only say `inconclusive`. Graders that share a
host therefore share a directory of lock files (GRADER_CPU_LOCK_DIR; in compose, one volume
mounted into every replica): a speed-measuring grading holds one slot while its sandbox
runs, and the host has `cores // quota` slots. Other labs never wait for a slot.

Waiters queue in the order they came (`queue/`, one ticket file each): only the first in
line may take a slot that comes free. Without the line, a grader that finishes one grading
and starts the next takes the slot back at once, while a waiter that polls finds it taken
every time, runs out of patience and measures beside it, which spoils both measurements.

Slots and tickets are `flock`s, so a grader killed mid-run or mid-wait frees its slot and
its place with its process. The wait is bounded: past it the grading runs anyway, and a
measurement spoilt by the contention is inconclusive and measured again, as on a host busy
with anything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LOCK_DIR = Path("/tmp/course-grader-cpu-slots")
# One grading of a speed lab, re-measurements included, takes up to about 30 s: a waiter
# second in line gets its turn within the bound.
DEFAULT_WAIT_SECONDS = 60.0
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
        with _Ticket(self.lock_dir / "queue") as ticket:
            while True:
                descriptor = _lock_any(paths) if ticket.waiters_ahead() < len(paths) else None
                if descriptor is not None or time.monotonic() >= deadline:
                    break
                time.sleep(POLL_SECONDS)
        if descriptor is None:
            yield False
            return
        try:
            yield True
        finally:
            os.close(descriptor)  # closing the file releases its flock


class _Ticket:
    """A place in the line of waiters: a file named by arrival time, locked while waiting.

    The file is locked before it is given its name in the line, so a ticket that can be
    locked by someone else belongs to a waiter that died: whoever finds it removes it.
    """

    def __init__(self, queue_dir: Path) -> None:
        self.queue_dir = queue_dir
        self.name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}"

    def __enter__(self) -> _Ticket:
        self.queue_dir.mkdir(exist_ok=True)
        pending = self.queue_dir / f".{self.name}"
        self.descriptor = os.open(pending, os.O_RDWR | os.O_CREAT, 0o666)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        pending.rename(self.queue_dir / self.name)
        return self

    def __exit__(self, *_exc: object) -> None:
        (self.queue_dir / self.name).unlink(missing_ok=True)
        os.close(self.descriptor)

    def waiters_ahead(self) -> int:
        """How many live waiters came before this one (dead waiters' tickets are removed)."""
        ahead = [
            name
            for name in os.listdir(self.queue_dir)
            if not name.startswith(".") and name < self.name
        ]
        return sum(_waiting(self.queue_dir / name) for name in ahead)


def _waiting(ticket: Path) -> bool:
    """Whether the ticket's waiter still waits; a dead waiter's ticket is removed."""
    try:
        descriptor = os.open(ticket, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        ticket.unlink(missing_ok=True)
        return False
    finally:
        os.close(descriptor)


def _lock_any(paths: list[Path]) -> int | None:
    for path in paths:
        descriptor = _try_lock(path)
        if descriptor is not None:
            return descriptor
    return None


def _try_lock(path: Path) -> int | None:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor
