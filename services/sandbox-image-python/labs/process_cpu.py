"""Which processes did the work of a call: CPU time per process, from /proc.

`resource.getrusage(RUSAGE_CHILDREN)` counts only children that have been waited for, and
says nothing about how many did the work; a pool kept alive across calls is never waited
for at all. So while a call runs, a thread of the driver reads /proc/<pid>/stat of every
other process in the container every few ms (utime + stime, and cutime + cstime: the
children it reaped), keeping each process's last value. In the sandbox's PID namespace
the other processes are the student's: the container's init (pid 1) and the harness (the
driver's parent) are left out. A process that ends loses at most one interval from its
own account; the total (`children_cpu_ms`) loses nothing of what the driver reaped.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import driver_kit

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_listdir = os.listdir
_open = open


def read_processes(exclude: frozenset[int]) -> dict[tuple[int, int], float]:
    """{(pid, start time): CPU ms including reaped children} of every other process."""
    times: dict[tuple[int, int], float] = {}
    for name in _listdir("/proc"):
        if not name.isdigit() or int(name) in exclude:
            continue
        try:
            with _open(f"/proc/{name}/stat", "rb") as file:
                text = file.read()
        except OSError:
            continue  # it ended between the listing and the read
        fields = text[text.rfind(b")") + 2 :].split()
        # fields[0] is the state (field 3 of stat): utime is field 14, starttime field 22.
        ticks = sum(int(value) for value in fields[11:15])
        times[(int(name), int(fields[19]))] = ticks * 1000.0 / CLOCK_TICKS
    return times


@dataclass(frozen=True)
class ProcessCpu:
    """The CPU time of a call, split by process."""

    main_cpu_ms: float  # the driver's own process, every thread (getrusage RUSAGE_SELF)
    children_cpu_ms: float  # every other process of the student's, reaped or alive
    per_process_ms: list[float]  # each other process that used CPU during the call
    processes_seen: int  # other processes that existed at some time during the call


class ProcessSampler:
    """Samples every other process's CPU time while a call runs: start(), then stop()."""

    def __init__(self, interval_seconds: float = 0.01) -> None:
        self._interval = interval_seconds
        self._exclude = frozenset({1, os.getpid(), os.getppid()})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._base: dict[tuple[int, int], float] = {}
        self._last: dict[tuple[int, int], float] = {}

    def start(self) -> None:
        self._self_before = driver_kit.getrusage(driver_kit.RUSAGE_SELF)
        self._children_before = driver_kit.getrusage(driver_kit.RUSAGE_CHILDREN)
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
        # Reaped children first, then the living: a child reaped in between is in neither
        # reading rather than in both.
        children_after = driver_kit.getrusage(driver_kit.RUSAGE_CHILDREN)
        self_after = driver_kit.getrusage(driver_kit.RUSAGE_SELF)
        alive = self._sample()
        reaped_ms = driver_kit.cpu_ms(children_after) - driver_kit.cpu_ms(self._children_before)
        # A process alive before the call and reaped during it brings its earlier CPU time
        # into RUSAGE_CHILDREN: take that back out.
        earlier_ms = sum(value for key, value in self._base.items() if key not in alive)
        alive_ms = sum(value - self._base.get(key, 0.0) for key, value in alive.items())
        per_process = [
            value - self._base.get(key, 0.0)
            for key, value in self._last.items()
            if value > self._base.get(key, 0.0)
        ]
        return ProcessCpu(
            main_cpu_ms=driver_kit.cpu_ms(self_after) - driver_kit.cpu_ms(self._self_before),
            children_cpu_ms=max(0.0, reaped_ms - earlier_ms + alive_ms),
            per_process_ms=sorted(per_process, reverse=True),
            processes_seen=len(self._last),
        )
