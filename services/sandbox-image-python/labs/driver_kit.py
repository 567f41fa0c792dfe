"""What every Python lab driver needs: the channel, and the student's code kept at arm's length.

A lab driver (labs/<kind>/driver.py) is the main script the harness runs:
`python3 -I -u /opt/labs/<kind>/driver.py <entry> <settings> --channel-fd N --key-fd K`.
It never imports the student's code. It makes itself non-dumpable, then starts the lab's *subject*
(labs/<kind>/subject.py, see subject_kit.py): a fresh interpreter that imports the
student's module and makes the calls the driver asks for, one JSON line per request and
per answer on two pipes of their own. The driver times each call from outside, checks the
answer against its own, reads CPU time from the kernel, and writes its measurements to the
harness as JSON lines on the channel (a pipe the harness passed as fd N), never on stdout,
each line signed with a key the harness handed over on a pipe of its own (`--key-fd K`).

Why two processes: the student's code shares a process with whatever runs beside it. When
the driver imported it, the student could write the channel (its fd was in argv) and forge
every measurement. Now the channel, the driver's secrets and its clocks live in a process
the student cannot reach: it was exec'd apart (no copy of its memory), it is not dumpable
(no ptrace, no /proc/<pid>/mem or /proc/<pid>/fd for the same uid), and the subject
inherits only its own two pipes. The student can still kill the driver, which only ends
the run without measurements.

Why the signature: gVisor (runsc 0.0~20221219) does not close a non-dumpable process's
/proc/<pid>/fd to its uid, so there the student can open the channel (the driver's write
end, or the harness's read end) and write lines of its own. Every line is therefore
`<HMAC-SHA256 hex> <JSON>` under a random key the harness made for this run and wrote to
the key pipe, which the driver reads to its end and closes before the subject exists; the
JSON carries the line's number, so a line dropped, repeated or moved is seen too. The key is
in no argv, environment or file, and in the memory of non-dumpable processes only, whose
/proc/<pid>/mem gVisor keeps closed. The harness accepts the lines only while every one
verifies (harness/labs.py); a forged line spoils the whole run.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

now = time.perf_counter
STARTED = now()
PR_SET_DUMPABLE = 4  # <linux/prctl.h>
ANSWER_BYTES = 1024 * 1024  # an answer longer than this is the student's noise, not ours
# How long the driver waits for its subject to end before it ends anyway (the harness then
# kills what is left).
SUBJECT_END_SECONDS = 1.0


class Channel:
    """The harness's pipe: one signed JSON line per fact ({"k": "fact"}) or timed run ("run").

    `<HMAC-SHA256 of the JSON under key, hex> {"n": line number from 0, "k": ..., "v": ...}`,
    the format harness/labs.py verifies.
    """

    def __init__(self, fd: int, key: bytes) -> None:
        self._fd = fd
        self._key = key
        self._number = 0
        os.set_inheritable(fd, False)  # the subject never gets it

    def fact(self, **values: Any) -> None:
        self._send("fact", values)

    def run(self, values: dict[str, Any]) -> None:
        self._send("run", values)

    def _send(self, kind: str, value: dict[str, Any]) -> None:
        body = json.dumps({"n": self._number, "k": kind, "v": value}).encode()
        self._number += 1
        signature = hmac.new(self._key, body, hashlib.sha256).hexdigest().encode()
        view = memoryview(signature + b" " + body + b"\n")
        while view:
            view = view[os.write(self._fd, view) :]


def parse_arguments(argv: list[str] | None = None) -> tuple[str, dict[str, Any], Channel]:
    """(entry path, settings, channel) from the driver's command line.

    Refuses tracing first, then reads the channel's key from `--key-fd` to its end and
    closes it: all before any student code exists.
    """
    refuse_tracing()
    args = list(sys.argv[1:] if argv is None else argv)
    fd = int(args[args.index("--channel-fd") + 1])
    key = read_key(int(args[args.index("--key-fd") + 1]))
    return args[0], json.loads(args[1]), Channel(fd, key)


def read_key(fd: int) -> bytes:
    """The channel's key: everything on the key pipe, which is then closed."""
    key = b""
    try:
        while chunk := os.read(fd, 4096):
            key += chunk
    finally:
        os.close(fd)
    if len(key) < 16:
        raise RuntimeError("the harness gave no channel key")
    return key


def refuse_tracing() -> None:
    """Make this process (and what it forks) non-dumpable before any student code runs.

    Same uid as the student: without this, the subject could ptrace the driver, read its
    secrets through /proc/<pid>/mem or write its channel through /proc/<pid>/fd.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


class SubjectGone(Exception):
    """The subject ended (the student's code exited or crashed it) or broke the protocol."""


class Subject:
    """The student's process: started by the driver, asked one call at a time.

    `request(op, **args)` writes one JSON line and waits for one JSON answer line; the
    wall time between the two is the driver's own measurement of the call.
    """

    def __init__(self, subject_script: Path, entry: str) -> None:
        requests_read, self._requests = os.pipe()
        self._answers, answers_write = os.pipe()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-u",
                str(subject_script),
                entry,
                "--requests-fd",
                str(requests_read),
                "--answers-fd",
                str(answers_write),
            ],
            stdin=subprocess.DEVNULL,
            pass_fds=(requests_read, answers_write),
        )
        os.close(requests_read)
        os.close(answers_write)
        self._buffer = bytearray()
        self.pid = self.process.pid
        self.hello: dict[str, Any] = {}  # said before the student's module was imported

    def request(self, op: str, **args: Any) -> tuple[dict[str, Any], float]:
        """(the subject's answer, wall ms from the request sent to the answer received)."""
        line = (json.dumps({"op": op, **args}) + "\n").encode()
        started = now()
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(self._requests, view) :]
        except BrokenPipeError as error:
            raise SubjectGone("the subject closed its requests") from error
        answer = self.read_answer()
        return answer, (now() - started) * 1000

    def read_answer(self) -> dict[str, Any]:
        """The subject's next line, a JSON object."""
        try:
            message = json.loads(self._read_line())
        except ValueError as error:
            raise SubjectGone("the subject's answer is not JSON") from error
        if not isinstance(message, dict):
            raise SubjectGone("the subject's answer is not an object")
        return message

    def _read_line(self) -> bytes:
        while b"\n" not in self._buffer:
            chunk = os.read(self._answers, 65536)
            if not chunk:
                raise SubjectGone("the subject ended")
            self._buffer.extend(chunk)
            if len(self._buffer) > ANSWER_BYTES:
                raise SubjectGone("the subject's answer is too long")
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return line

    def end(self) -> None:
        """Close its requests: it ends once it has read them all."""
        os.close(self._requests)


def start_subject(subject_script: Path, entry: str) -> Subject:
    """Refuse tracing, start the subject and read its hello (before the student's import)."""
    refuse_tracing()
    subject = Subject(subject_script, entry)
    try:
        subject.hello = subject.read_answer()
    except SubjectGone:
        leave(subject)
    return subject


def load_student(subject: Subject, channel: Channel) -> None:
    """Have the subject import the student's module.

    When the module cannot be loaded (it raised, or lacks what the lab needs), say so on
    the channel (`problem`, `problem_detail`) and end the run as the student's program
    would have: exit 1, the traceback or what is missing on stderr (printed by the
    subject, or here).
    """
    try:
        answer, _ = subject.request("load")
    except SubjectGone:
        leave(subject)
    problem = answer.get("problem")
    if problem is not None:
        detail = str(answer.get("problem_detail"))[:300]
        channel.fact(problem=str(problem)[:40], problem_detail=detail)
        if problem == "function_missing":
            print(detail, file=sys.stderr)
        subject.end()
        leave(subject, 1)


def leave(subject: Subject, code: int | None = None) -> None:
    """End the driver now: with `code`, or (None) the way the subject ended.

    The harness reports how its program ended, and its program is this driver: a
    student's `os._exit(3)` or a crash in the subject must end the driver the same way.
    Whatever the student left running is killed by the harness once the driver is gone.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        status = subject.process.wait(timeout=SUBJECT_END_SECONDS)
    except subprocess.TimeoutExpired:
        status = 1
    if code is None:
        if status < 0:
            signal.signal(-status, signal.SIG_DFL)
            os.kill(os.getpid(), -status)
        code = status if status >= 0 else 128 - status
    os._exit(code)


def elapsed_seconds() -> float:
    """Seconds since the driver started."""
    return now() - STARTED
