"""Keep `make run`'s long-running processes running: restart the one that dies, with backoff.

One dead process (a grader killed, a worker that crashed) must not take the platform down
with it: the others keep serving while it is started again, after FIRST_BACKOFF_SECONDS,
doubled each time it dies again soon after a start (a process that cannot start is not
restarted in a tight loop), back to the first once it has run STABLE_SECONDS. Every death
and every restart is one line on the console, so the operator sees what happened.

Each supervised process must lead a process group of its own (`start_new_session=True`):
when it dies, whatever it left in its group is killed before it is started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 60.0


@dataclass
class Supervised:
    """One named process and how to start it again."""

    name: str  # as the console says it: "the grader died"
    start: Callable[[], subprocess.Popen]  # a fresh process each call
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None  # set while dead, waiting out its backoff
    restarts: int = 0


class Supervisor:
    """Start processes, and on each `check()` restart those that died."""

    def __init__(self, console: TextIO = sys.stderr) -> None:
        self.console = console
        self.supervised: dict[str, Supervised] = {}

    def start(self, name: str, start: Callable[[], subprocess.Popen]) -> None:
        """Start `name` now and keep it running."""
        entry = Supervised(name, start)
        self.supervised[name] = entry
        self._launch(entry, time.monotonic())

    def processes(self) -> dict[str, subprocess.Popen]:
        """The current process of each name (a dead one while it waits to restart)."""
        return {name: e.process for name, e in self.supervised.items() if e.process is not None}

    def check(self, now: float | None = None) -> None:
        """Notice deaths and restart the processes whose backoff has passed."""
        now = time.monotonic() if now is None else now
        for entry in self.supervised.values():
            if entry.restart_at is None and entry.process.poll() is not None:
                _kill_group(entry.process)
                if now - entry.started_at >= STABLE_SECONDS:
                    entry.backoff = FIRST_BACKOFF_SECONDS
                entry.restart_at = now + entry.backoff
                self._say(
                    f"run: the {entry.name} died ({_how(entry.process.returncode)}): "
                    f"restarting it in {entry.backoff:.0f} s"
                )
                entry.backoff = min(entry.backoff * 2, MAX_BACKOFF_SECONDS)
            elif entry.restart_at is not None and now >= entry.restart_at:
                self._launch(entry, now)
                entry.restarts += 1
                self._say(f"run: restarted the {entry.name} (pid {entry.process.pid})")

    def _launch(self, entry: Supervised, now: float) -> None:
        # A Ctrl-C waits until the new process is recorded: one that came between its fork
        # and this record left it running, unstopped (it leads a session of its own).
        interrupted: list[int] = []
        previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
        try:
            entry.process = entry.start()
            entry.started_at = now
            entry.restart_at = None
        finally:
            signal.signal(signal.SIGINT, previous)
        if interrupted:
            signal.raise_signal(signal.SIGINT)  # now, to the handler it was meant for

    def _say(self, line: str) -> None:
        print(line, file=self.console, flush=True)


def _kill_group(process: subprocess.Popen) -> None:
    # What the dead one started and left behind (gunicorn's workers, RQ's scheduler) goes
    # too: each supervised process leads a process group of its own.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _how(returncode: int) -> str:
    return f"killed by signal {-returncode}" if returncode < 0 else f"exit {returncode}"
