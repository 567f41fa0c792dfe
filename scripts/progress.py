"""Progress lines for `make run`'s slow steps: what runs, that it still runs, when it ended.

A newcomer's first `make run` installs packages, migrates a database and builds images:
steps of seconds to minutes that, run quietly, print nothing while they work. Each one
says what it does when it starts, then every few seconds that it is still going (a
silent terminal looks hung), then how long it took or how it failed. One line each, all
starting with "run: ", as the rest of `make run`'s console does.

Standard library only: the Makefile runs it before the virtual environment exists.

Usage as a command (the Makefile's steps): progress.py LABEL -- COMMAND [ARGUMENT...]
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

HEARTBEAT_SECONDS = 5.0
_console_lock = threading.Lock()  # lines from several threads never interleave mid-line


class Progress:
    """One step's lines: started, still going (at most one per `interval`), ended."""

    def __init__(
        self,
        label: str,
        console: TextIO | None = None,
        interval: float | None = None,
        detail: Callable[[], str] | None = None,
    ) -> None:
        """`detail`: what the step is doing now, said on each "still going" line (a long
        build's last log line: minutes of the same line would say nothing)."""
        self.label = label
        self.console = console
        self.interval = HEARTBEAT_SECONDS if interval is None else interval
        self.detail = detail
        self.started = time.monotonic()
        self._next_heartbeat = self.started + self.interval

    def start(self, since: float | None = None) -> Progress:
        """Say the step started; `since`: it began earlier (time.monotonic()), elsewhere."""
        self.started = time.monotonic() if since is None else since
        self._next_heartbeat = time.monotonic() + self.interval
        say(f"run: {self.label}...", self.console)
        return self

    def tick(self, now: float | None = None) -> None:
        """Say that the step is still going, when the last line is `interval` old."""
        now = time.monotonic() if now is None else now
        if now >= self._next_heartbeat:
            line = f"run: {self.label}: still going ({now - self.started:.0f} s)"
            doing = self.detail() if self.detail else ""
            say(f"{line}: {doing}" if doing else line, self.console)
            self._next_heartbeat = now + self.interval

    def done(self, outcome: str = "done") -> float:
        """Say how the step ended and after how long; return that time in seconds."""
        elapsed = time.monotonic() - self.started
        say(f"run: {self.label}: {outcome} in {elapsed:.1f} s", self.console)
        return elapsed

    def seconds_to_next_heartbeat(self) -> float:
        return max(0.0, self._next_heartbeat - time.monotonic())


def say(line: str, console: TextIO | None = None) -> None:
    """Print one whole line now (the console may be a pipe: flush)."""
    with _console_lock:
        print(line, file=console or sys.stdout, flush=True)


def run_step(label: str, command: list[str], console: TextIO | None = None, **popen) -> int:
    """Run `command` to its end as the step `label`, with its progress lines; its exit code.

    Ctrl-C reaches the command too (it stays in our process group): wait for it to stop,
    then let the KeyboardInterrupt go on.
    """
    progress = Progress(label, console).start()
    process = subprocess.Popen(command, **popen)
    try:
        while True:
            try:
                code = process.wait(timeout=progress.seconds_to_next_heartbeat() or 0.01)
                break
            except subprocess.TimeoutExpired:
                progress.tick()
    except KeyboardInterrupt:
        process.wait()
        raise
    progress.done("done" if code == 0 else f"failed (exit {code})")
    return code


def main(arguments: list[str]) -> int:
    if len(arguments) < 3 or arguments[1] != "--":
        print("usage: progress.py LABEL -- COMMAND [ARGUMENT...]", file=sys.stderr)
        return 2
    try:
        return run_step(arguments[0], arguments[2:])
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
