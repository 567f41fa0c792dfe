"""How long each phase of a grading took, in milliseconds, for benches and operators.

The grader's overhead over a plain `docker run` is spread over many small steps (create
the container, copy the files in, start it, read the report, remove it, judge, publish):
to know which one to shave, each is timed. Only monotonic timestamps are taken, nothing is
waited for or logged, so the timing costs nothing the student would notice. The laps travel
in the GradeResult's `phases_ms` (contract.messages), which no portal reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

# The phases a GradeResult's `phases_ms` may name, in the order a grading runs them.
PREPARE = "prepare"  # the request checked, the files prepared, the limits clamped
CPU_SLOT = "cpu_slot"  # waiting for a CPU slot (labs that time a speedup)
CREATE = "create"  # the Engine creates the container
COPY = "copy"  # the job and the files on its stdin (attach, write, close)
START = "start"  # the Engine starts it
RUN = "run"  # from started to exited: the harness and the student's code
LOGS = "logs"  # the report read back from the container's log
INSPECT = "inspect"  # the container inspected (OOM killed? which runtime?)
REMOVE = "remove"  # the container and its volume removed
JUDGE = "judge"  # the report parsed, checks, verdict, feedback, the result built
FAILED_RUN = "failed_run"  # a sandbox run the Engine failed (infra_error)
# The harness's part of RUN: RUN minus the student's run time the report gives (wall_ms).
HARNESS = "harness"
STUDENT_RUN = "student_run"  # the report's wall_ms: the student's code, start to exit


class PhaseClock:
    """Laps of a monotonic clock: each `lap(name)` adds the time since the last one.

    A phase that happens again (a lab measured once more) adds up under its name.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        """Count the time since the previous lap (or the start) as `name`."""
        now = self._clock()
        self._laps[name] = self._laps.get(name, 0.0) + (now - self._last) * 1000
        self._last = now

    def skip(self) -> None:
        """Count the time since the previous lap as nobody's (another clock timed it)."""
        self._last = self._clock()

    def add(self, laps: Mapping[str, float]) -> None:
        """Add laps another clock timed (a sandbox run's) to this one's."""
        for name, ms in laps.items():
            self._laps[name] = self._laps.get(name, 0.0) + ms

    def laps(self) -> dict[str, float]:
        """Each phase's milliseconds so far, rounded to a tenth."""
        return {name: round(ms, 1) for name, ms in self._laps.items()}


def split_run(laps: Mapping[str, float], student_wall_ms: float | None) -> dict[str, float]:
    """`laps` with RUN split into the harness's part and the student's (the report's wall_ms).

    Without a report (the harness died, the outer timeout fired) RUN stays as it is.
    """
    if RUN not in laps or student_wall_ms is None:
        return dict(laps)
    split = {name: ms for name, ms in laps.items() if name != RUN}
    student = min(float(student_wall_ms), laps[RUN])
    split[HARNESS] = round(laps[RUN] - student, 1)
    split[STUDENT_RUN] = round(student, 1)
    return split
