"""What every Python lab driver needs, taken before the student's module is imported.

A lab driver (labs/<kind>/driver.py) is the main script of the student's process: the
harness runs `python3 -I -u /opt/labs/<kind>/driver.py <entry> <settings> --channel-fd N`
and the driver imports the student's entry file as a module, calls the functions the lab
names and measures each call. The student's code then runs in the same process and may
replace what it likes, so the clocks and resource readers a measurement relies on are
captured here, at import, before the student's module is. Measurements go to the harness
as JSON lines on the channel (a pipe the harness passed as fd N), never on stdout.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

now = time.perf_counter
process_cpu = time.process_time
getrusage = resource.getrusage
RUSAGE_SELF = resource.RUSAGE_SELF
RUSAGE_CHILDREN = resource.RUSAGE_CHILDREN
_write = os.write
_dumps = json.dumps
STARTED = now()


class Channel:
    """The harness's pipe: one JSON line per fact ({"k": "fact"}) or timed run ("run")."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        os.set_inheritable(fd, False)  # a program the student execs does not get it

    def fact(self, **values: Any) -> None:
        self._send("fact", values)

    def run(self, values: dict[str, Any]) -> None:
        self._send("run", values)

    def _send(self, kind: str, value: dict[str, Any]) -> None:
        view = memoryview((_dumps({"k": kind, "v": value}) + "\n").encode())
        while view:
            view = view[_write(self._fd, view) :]


def parse_arguments(argv: list[str] | None = None) -> tuple[str, dict[str, Any], Channel]:
    """(entry path, settings, channel) from the driver's command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    fd = int(args[args.index("--channel-fd") + 1])
    return args[0], json.loads(args[1]), Channel(fd)


def import_student(entry_path: str, extra_paths: tuple[str, ...] = ()) -> Any:
    """Import the student's entry file as a module named after it (main.py: `main`).

    Its folder goes first on sys.path, so its own modules import, and so do the functions a
    process started with "spawn" or "forkserver" unpickles (they are found by module name).
    `if __name__ == "__main__":` blocks do not run. The driver's folder is never on it.
    """
    entry = Path(entry_path)
    for path in (*extra_paths, str(entry.parent)):
        if path not in sys.path:
            sys.path.insert(0, path)
    return importlib.import_module(entry.stem)


def print_traceback(error: BaseException) -> None:
    """Print the error as Python prints an uncaught one (the harness quotes its last line)."""
    traceback.print_exception(error, file=sys.stderr)


def error_line(error: BaseException) -> str:
    """`Type: message`, first line, at most 300 characters, for a measurement's `error`."""
    text = f"{type(error).__name__}: {error}".split("\n")[0]
    return text[:300]


def elapsed_seconds() -> float:
    """Seconds since the driver started."""
    return now() - STARTED


def cpu_ms(usage: resource.struct_rusage) -> float:
    """User plus system CPU time of a getrusage() reading, in ms."""
    return (usage.ru_utime + usage.ru_stime) * 1000.0


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]
