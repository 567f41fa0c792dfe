"""The event loop watched from outside: how long its thread stayed away from its poll.

The subject's ticker (subject.py) measures the loop's lag inside the student's process,
where the student's code could rewrite it. This witness runs in the driver and asks the
kernel instead: every few ms it reads /proc/<subject>/task/<subject>/syscall, which says
whether the loop's thread is running or in which system call it sleeps. A free loop sleeps
in epoll_wait on its own epoll descriptor (named by the subject before the student's module
was imported) and runs briefly in between; a synchronous call holds the thread elsewhere:
in a sleep, a socket read, a futex waiting for a thread's result, or running a long
computation. A *stall* is a run of samples away from the loop's epoll_wait; its length,
less the time the thread waited on a run queue for a CPU meanwhile (schedstat: a busy host's
share, not the code's), is the stall the code caused. A gap in the sampling (the driver
itself was not scheduled) ends a stall, so a stall is never longer than what was seen.

The kernel lets a process read another's `syscall` only when it could ptrace it: the
driver is the subject's parent with the same uid, which suffices, unless the subject makes
itself non-dumpable. A witness that could read at the start and no longer can was
`refused` (the student's code hid the loop); one that never could is `unavailable`, and
then only the ticker speaks.

gVisor (runsc 0.0~20221219) has no `syscall` file, but implements ptrace: there the same
question is asked by seizing the loop's thread for each call and reading its registers in
a stop at each sample (loop_ptrace.py). The kernel lets the driver seize it on the same
terms (its parent, same uid, dumpable), so a subject that made itself non-dumpable is
`refused` there too.
"""

from __future__ import annotations

import os
import platform
import threading
import time

import loop_ptrace

# epoll_wait, epoll_pwait and epoll_pwait2 by architecture.
EPOLL_WAITS = {"x86_64": {232, 281, 441}, "aarch64": {22, 441}}.get(
    platform.machine(), {232, 281, 441}
)
INTERVAL_SECONDS = 0.002
# A pause of the sampler longer than this ends the stall being measured: the thread may
# have gone back to its poll unseen. Short beside the shortest request (50 ms or more).
GAP_SECONDS = 0.025


class LoopWitness:
    """Watches the loop's thread while calls run: start(), then stop() -> its figures."""

    def __init__(self, pid: int, epoll_fd: int | None) -> None:
        self._epoll_fd = epoll_fd
        self._syscall = _open(f"/proc/{pid}/task/{pid}/syscall")
        self._schedstat = _open(f"/proc/{pid}/task/{pid}/schedstat")
        self._pid = pid
        self._traced = False  # read by ptrace (loop_ptrace.py) instead of `syscall`
        self.state = "unavailable"
        if epoll_fd is not None and self._syscall is not None and self._readable():
            self.state = "watching"
        elif epoll_fd is not None and self._syscall is None and _can_seize(pid):
            self.state, self._traced = "watching", True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._longest_ms = 0.0
        self._samples = 0
        self._stop.clear()
        if self.state == "watching":
            self._thread = threading.Thread(target=self._loop, name="loop-witness", daemon=True)
            self._thread.start()

    def stop(self) -> dict[str, object]:
        """{"loop_witness": state, "stall_max_ms": the longest stall the code caused}."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        watched = self.state == "watching" and self._samples > 0
        return {
            "loop_witness": self.state,
            "stall_max_ms": round(self._longest_ms, 1) if watched else None,
            "witness_samples": self._samples,
        }

    def _loop(self) -> None:
        if not self._traced:
            self._watch(self._read)
            return
        try:
            tracer = loop_ptrace.Tracer(self._pid)  # by this thread, which alone may ask it
        except PermissionError:
            self.state = "refused"  # it made itself non-dumpable: it hides its loop
            return
        except OSError:
            return  # it ended
        try:
            self._watch(lambda: _traced_idle(tracer, self._epoll_fd))
        finally:
            tracer.detach()

    def _watch(self, read_idle) -> None:
        started: tuple[float, float] | None = None  # (time, run-queue wait) of the stall
        last: tuple[float, float] | None = None
        previous_at = time.monotonic()
        while not self._stop.wait(INTERVAL_SECONDS):
            at = time.monotonic()
            try:
                idle = read_idle()
            except PermissionError:
                self.state = "refused"  # it made itself non-dumpable: it hides its loop
                return
            except OSError:
                return  # it ended: the call's answer will never come either
            self._samples += 1
            if at - previous_at > GAP_SECONDS:
                started = last = None  # unseen in between: what was seen ends here
            previous_at = at
            if idle:
                started = last = None
                continue
            waited = self._run_queue_ms()
            last = (at, waited)
            if started is None:
                started = last
            stall = (last[0] - started[0]) * 1000 - (last[1] - started[1])
            self._longest_ms = max(self._longest_ms, stall)

    def _read(self) -> bool:
        """Whether the thread sleeps in its loop's epoll_wait (OSError when unreadable)."""
        text = os.pread(self._syscall, 256, 0).split()
        if not text or text[0] in (b"running", b"-1"):
            return False
        try:
            number, first = int(text[0]), int(text[1], 16)
        except (IndexError, ValueError):
            return False
        return number in EPOLL_WAITS and first == self._epoll_fd

    def _readable(self) -> bool:
        try:
            self._read()
        except OSError:
            return False
        return True

    def _run_queue_ms(self) -> float:
        if self._schedstat is None:
            return 0.0
        try:
            return int(os.pread(self._schedstat, 128, 0).split()[1]) / 1e6
        except (OSError, IndexError, ValueError):
            return 0.0


def _traced_idle(tracer: loop_ptrace.Tracer, epoll_fd: int | None) -> bool:
    """Whether the traced thread sleeps in its loop's epoll_wait (OSError once it ended)."""
    idle = tracer.sleeping_in(EPOLL_WAITS, epoll_fd)
    if idle is None:
        raise ProcessLookupError("the subject ended")
    return idle


def _can_seize(pid: int) -> bool:
    """Whether a thread of the driver may seize `pid` now (before the student's import)."""
    if not loop_ptrace.SUPPORTED:
        return False
    result: list[bool] = []

    def probe() -> None:
        try:
            loop_ptrace.Tracer(pid).detach()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, name="loop-witness-probe")
    thread.start()
    thread.join()
    return bool(result and result[0])


def _open(path: str) -> int | None:
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None
