"""Runs the student's program once, under the harness's watch.

`python3 -I -u <entry>` (or a lab driver, see labs.py) in a session (and process group) of
its own, its stdout and stderr on pipes of the harness's (its output is data for the report,
never the harness's stdout, so it can never be mistaken for the report), and two reasons to
stop it early: the inner wall timeout and too much output. -I (isolated) ignores PYTHON*
variables and the user's site-packages and keeps the script's folder off sys.path; -u makes
stdout and stderr unbuffered, so they interleave in the report in the order they arrive
(each stream in its own order; lines of both written within one poll may swap), and a loop
of print() calls fills the pipe (and meets the output limit) instead of a buffer.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from output import HeadTailCapture
from reaper import kill_everything_else, kill_process_group
from tasks import tasks_at_stop

PYTHON = sys.executable or "/usr/bin/python3"
STDERR_KEEP_BYTES = 32 * 1024
READ_BYTES = 64 * 1024
# A lab driver's measurements are a few KiB; more is a runaway driver (or the student).
CHANNEL_BYTES = 1024 * 1024
# How often to look whether the program ended while its pipes stay open (a detached child
# holds them); when they close, the harness learns of the end at once.
POLL_SECONDS = 0.02
# Once the program has exited and its stragglers are killed, the pipes close at once; the
# grace only matters when they could not be killed (outside the container).
DRAIN_GRACE_SECONDS = 1.0
# After SIGKILL the kernel ends the program at once; if it still has not been reaped this
# much later, something is wrong with the harness, not with the student.
EXIT_AFTER_KILL_GRACE_SECONDS = 5.0


class StudentRunError(RuntimeError):
    """The program could not be run or reaped: the harness's fault, not the student's."""


@dataclass(frozen=True)
class StudentRun:
    """How the program ended and what it printed."""

    status: str  # "exited", "timeout" or "output_limit"
    exit_code: int | None  # None when a signal ended it
    signal: str | None  # e.g. "SIGKILL"
    wall_ms: float  # from start to exit
    output: dict[str, Any]  # stdout+stderr in arrival order, head and tail
    stderr_text: str  # stderr alone, head and tail, for the error line
    channel: bytes  # what a lab driver wrote to the channel (empty without a driver)
    # At the wall timeout, before the kill (tasks.py); None when it ended otherwise.
    tasks_at_stop: dict[str, int] | None = None


def run_student(
    arguments: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    wall_seconds: float,
    output_bytes: int,
    channel: tuple[int, int] | None = None,
    passed_fds: tuple[int, ...] = (),
    pids: int | None = None,
) -> StudentRun:
    """Run `python3 -I -u <arguments>` to its end, or stop it, and drain its output.

    `arguments` is the entry file, or a lab driver with its own arguments. `channel` is a
    pipe (read end, write end) whose write end the program inherits (a lab driver's
    measurements); the harness keeps what arrives on it, up to CHANNEL_BYTES.
    `passed_fds` are other descriptors the program inherits and the harness closes once it
    started (a lab driver's key pipe). `pids` is the job's process limit, for the count of
    tasks at the wall timeout.
    """
    output = HeadTailCapture()
    stderr = HeadTailCapture(STDERR_KEEP_BYTES, STDERR_KEEP_BYTES)
    received = bytearray()
    started = time.monotonic()
    try:
        child = subprocess.Popen(
            [PYTHON, "-I", "-u", *arguments],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=passed_fds if channel is None else (channel[1], *passed_fds),
        )
    except OSError as error:
        raise StudentRunError(f"cannot start the student's program: {error}") from error
    finally:
        if channel is not None:
            os.close(channel[1])  # the program holds it now: its end is the pipe's end
        for fd in passed_fds:
            os.close(fd)

    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ, False)
    selector.register(child.stderr, selectors.EVENT_READ, True)
    if channel is not None:
        selector.register(channel[0], selectors.EVENT_READ, None)
    deadline = started + wall_seconds
    stop_reason: str | None = None
    stopped_at = 0.0
    ended_at: float | None = None
    stopped_tasks: dict[str, int] | None = None

    def stop(reason: str) -> None:
        nonlocal stop_reason, stopped_at
        if stop_reason is None and ended_at is None:
            stop_reason, stopped_at = reason, time.monotonic()
            kill_process_group(child.pid)

    try:
        while True:
            now = time.monotonic()
            if ended_at is None and child.poll() is not None:
                ended_at = now
                # Its detached children would hold the pipes open: end them now.
                kill_process_group(child.pid)
                kill_everything_else()
            if ended_at is not None:
                wait = ended_at + DRAIN_GRACE_SECONDS - now
                if not selector.get_map() or wait <= 0:
                    break
            elif stop_reason is None:
                if now >= deadline:
                    stopped_tasks = tasks_at_stop(pids)
                    stop("timeout")
                    continue
                wait = deadline - now
            else:
                wait = stopped_at + EXIT_AFTER_KILL_GRACE_SECONDS - now
                if wait <= 0:
                    raise StudentRunError("the student's program was not reaped after SIGKILL")
            if not selector.get_map():
                # It closed its stdout and stderr but runs on: wait for its end alone.
                try:
                    child.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    pass
                continue
            for key, _ in selector.select(min(wait, POLL_SECONDS)):
                chunk = os.read(key.fd, READ_BYTES)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                if key.data is None:  # the lab driver's channel, never output
                    if len(received) < CHANNEL_BYTES:
                        received.extend(chunk[: CHANNEL_BYTES - len(received)])
                    continue
                output.push(chunk)
                if key.data:
                    stderr.push(chunk)
                if output.bytes_total > output_bytes:
                    stop("output_limit")
    finally:
        selector.close()
        child.stdout.close()
        child.stderr.close()
        if channel is not None:
            os.close(channel[0])
        if child.poll() is None:
            kill_process_group(child.pid)
            child.wait()

    if ended_at is None:
        ended_at = time.monotonic()
    code = child.returncode
    return StudentRun(
        status=stop_reason or "exited",
        exit_code=code if code >= 0 else None,
        signal=_signal_name(-code) if code < 0 else None,
        wall_ms=round((ended_at - started) * 1000, 1),
        output=output.snapshot(),
        stderr_text=stderr.snapshot()["text"],
        channel=bytes(received),
        tasks_at_stop=stopped_tasks,
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # a real-time signal has no name of its own
        return f"SIG{number}"
