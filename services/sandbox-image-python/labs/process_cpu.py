"""Which processes did the work of a call: CPU time per process, from the kernel.

The driver times the subject's calls from outside (driver_kit.py), so it reads every CPU
figure from /proc, which the student's code cannot rewrite: the subject's own utime+stime
(every thread of it) and cutime+cstime (the children it reaped, with theirs), and, while a
call runs, a thread of the driver reads /proc/<pid>/stat of every other process in the
container every few ms, keeping each process's last value (a pool kept alive across calls
is never reaped at all). In the sandbox's PID namespace the other processes are the
student's: the container's init (pid 1), the harness and the driver are left out. A
process that ends loses at most one interval from its own account; the total
(`children_cpu_ms`) loses nothing of what the subject reaped. Clock ticks are 10 ms.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[bytes] | None:
    """Fields 3.. of /proc/<pid>/stat (after the command's parentheses), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read()
    except OSError:
        return None
    return text[text.rfind(b")") + 2 :].split()


def _ms(ticks: int) -> float:
    return ticks * 1000.0 / CLOCK_TICKS


def read_processes(exclude: frozenset[int]) -> dict[tuple[int, int], float]:
    """{(pid, start time): CPU ms including reaped children} of every other process."""
    times: dict[tuple[int, int], float] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in exclude:
            continue
        fields = _stat_fields(name)
        if fields is None:
            continue  # it ended between the listing and the read
        # fields[0] is the state (field 3 of stat): utime is field 14, starttime field 22.
        times[(int(name), int(fields[19]))] = _ms(sum(int(value) for value in fields[11:15]))
    return times


def read_own_and_reaped(pid: int) -> tuple[float, float]:
    """(utime+stime, cutime+cstime) of process `pid` in ms, from one reading of its stat."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0, 0.0
    return _ms(int(fields[11]) + int(fields[12])), _ms(int(fields[13]) + int(fields[14]))


@dataclass(frozen=True)
class ProcessCpu:
    """The CPU time of a call, split by process."""

    main_cpu_ms: float  # the subject's own process, every thread
    children_cpu_ms: float  # every other process of the student's, reaped or alive
    per_process_ms: list[float]  # each other process that used CPU during the call
    processes_seen: int  # other processes that existed at some time during the call


class ProcessSampler:
    """Samples the student's processes' CPU time while a call runs: start(), then stop().

    `subject` is the subject's pid; `driver_processes` are the driver's own (itself, its
    parent the harness), never counted.
    """

    def __init__(
        self, subject: int, driver_processes: frozenset[int], interval_seconds: float = 0.01
    ) -> None:
        self._subject = subject
        self._interval = interval_seconds
        self._exclude = frozenset({1, subject, *driver_processes})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._base: dict[tuple[int, int], float] = {}
        self._last: dict[tuple[int, int], float] = {}

    def start(self) -> None:
        self._subject_before = read_own_and_reaped(self._subject)
        self._base = read_processes(self._exclude)
        self._last = dict(self._base)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="process-cpu", daemon=True)
        self._thread.start()

    def _sample(self) -> dict[tuple[int, int], float]:
        now = read_processes(self._exclude)
        for key, value in now.items():
            self._last[key] = max(value, self._last.get(key, 0.0))
        return now

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def stop(self) -> ProcessCpu:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        # The subject's reaped children first, then the living: a child reaped in between
        # is in neither reading rather than in both.
        own_after, reaped_after = read_own_and_reaped(self._subject)
        alive = self._sample()
        own_before, reaped_before = self._subject_before
        # A process alive before the call and reaped during it brings its earlier CPU time
        # into the subject's cutime: take that back out.
        earlier_ms = sum(value for key, value in self._base.items() if key not in alive)
        alive_ms = sum(value - self._base.get(key, 0.0) for key, value in alive.items())
        per_process = [
            value - self._base.get(key, 0.0)
            for key, value in self._last.items()
            if value > self._base.get(key, 0.0)
        ]
        return ProcessCpu(
            main_cpu_ms=own_after - own_before,
            children_cpu_ms=max(0.0, reaped_after - reaped_before - earlier_ms + alive_ms),
            per_process_ms=sorted(per_process, reverse=True),
            processes_seen=len(self._last),
        )
