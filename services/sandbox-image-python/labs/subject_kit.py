"""The student's side of a driven lab: import their module, make the calls the driver asks.

A lab's subject (labs/<kind>/subject.py) is started by its driver (driver_kit.Subject) as
`python3 -I -u subject.py <entry> --requests-fd R --answers-fd A`: a fresh interpreter, so
it holds none of the driver's secrets, and the student's code runs here, never in the
driver. It reads one JSON request per line on R and writes one JSON answer per line on A.
Everything here may be replaced by the student's code once it is imported: nothing the
subject says is trusted for a verdict beyond what the driver checks (a value against its
own, a wall time on its own clock, CPU time from the kernel), except its first line, the
*hello*, written before the student's module is imported. The first request is always
`load`, answered before any request the lab defines.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[..., dict[str, Any]]


class Pipes:
    """The subject's two pipes to the driver."""

    def __init__(self, requests_fd: int, answers_fd: int) -> None:
        self._requests = os.fdopen(requests_fd, "rb", buffering=0)
        self._answers = answers_fd
        self._buffer = b""
        for fd in (requests_fd, answers_fd):
            os.set_inheritable(fd, False)  # a process the student starts does not get them

    def next_request(self) -> dict[str, Any] | None:
        """The next request, or None once the driver closed the pipe."""
        while b"\n" not in self._buffer:
            chunk = self._requests.read(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def answer(self, values: dict[str, Any]) -> None:
        view = memoryview((json.dumps(values) + "\n").encode())
        while view:
            view = view[os.write(self._answers, view) :]


def parse_arguments(argv: list[str] | None = None) -> tuple[str, Pipes]:
    """(entry path, pipes) from the subject's command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    requests_fd = int(args[args.index("--requests-fd") + 1])
    answers_fd = int(args[args.index("--answers-fd") + 1])
    return args[0], Pipes(requests_fd, answers_fd)


def import_student(entry_path: str) -> Any:
    """Import the student's entry file as a module named after it (main.py: `main`).

    Its folder goes first on sys.path, so its own modules import, and so do the functions a
    process started with "spawn" or "forkserver" unpickles (they are found by module name).
    `if __name__ == "__main__":` blocks do not run. The labs' folder is never on it.
    """
    entry = Path(entry_path)
    if str(entry.parent) not in sys.path:
        sys.path.insert(0, str(entry.parent))
    return importlib.import_module(entry.stem)


def error_line(error: BaseException) -> str:
    """`Type: message`, first line, at most 300 characters, for an answer's `error`."""
    text = f"{type(error).__name__}: {error}".split("\n")[0]
    return text[:300]


def load(entry: str, validate: Callable[[Any], str | None]) -> tuple[Any, dict[str, Any]]:
    """(module, answer to `load`): the answer names the problem, if any.

    A module that raises at import is a `load_error` (its traceback printed as Python
    prints an uncaught one, which the harness quotes); `validate(module)` says what the
    module lacks (`function_missing`), or None.
    """
    try:
        module = import_student(entry)
    except BaseException as error:  # noqa: BLE001 - the student's top level, whatever it raised
        traceback.print_exception(error, file=sys.stderr)
        return None, {"problem": "load_error", "problem_detail": error_line(error)}
    lacking = validate(module)
    if lacking is not None:
        return module, {"problem": "function_missing", "problem_detail": lacking}
    return module, {"problem": None}


def serve(
    entry: str,
    pipes: Pipes,
    validate: Callable[[Any], str | None],
    make_handlers: Callable[[Any], dict[str, Handler]],
    hello: dict[str, Any] | None = None,
) -> None:
    """Say `hello` (what the driver may trust: no student code has run yet), answer
    `load`, then each request with `make_handlers(module)[op](**args)`, until the driver
    closes the pipe; then end at once, whatever the student left running."""
    pipes.answer(hello or {})
    handlers: dict[str, Handler] = {}
    while (request := pipes.next_request()) is not None:
        op = request.pop("op", None)
        if op == "load":
            module, answer = load(entry, validate)
            if answer["problem"] is None:
                handlers = make_handlers(module)
            pipes.answer(answer)
        elif op in handlers:
            pipes.answer(handlers[op](**request))
        else:
            pipes.answer({"error": f"no such request: {op!r}"})
    leave(0)


def leave(code: int) -> None:
    """End the process now: a pool or thread the student left running must not keep it up."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]
