"""Whether a measured speedup is the code's or the host's: one decision for measured labs.

A lab that times a parallel speedup also has its driver time the grader's own split of the
same job beside the student's (the reference). The student's median speedup at or above
the target decides at once. Below it, the reference says what the host allowed: when it
reached the target and the student's code kept up with its pace, the shortfall is the
host's start-up cost and the check holds; when the reference reached the target in every
repetition and the code trailed it in every one (at least MIN_TRAIL_REPETITIONS of them: one
repetition on a busy host may catch the reference in a lull and the code in a burst), the
machine allowed the speedup and the code did not reach it; anything else is not judged (the
host was too busy to tell).
The words stay each lab's; the thresholds are each lab's too (how much of the reference's
pace a pool or a worker may lose to its start).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# "In every repetition" is evidence only when there was more than one: a driver that ran out
# of time on a busy host reports fewer repetitions than it was asked for.
MIN_TRAIL_REPETITIONS = 2


class SpeedupCall(StrEnum):
    """What the speedup says, before a lab puts it into words."""

    REACHED = "reached"  # the median speedup reached the target
    KEPT_UP = "kept_up"  # short of it, but as fast as the reference the host allowed
    TRAILED = "trailed"  # the reference reached it every time; the code trailed every time
    UNSURE = "unsure"  # the host was too busy to tell: not judged


@dataclass(frozen=True)
class Reference:
    """The grader's own split, timed beside the student's, and the student's pace against it."""

    median: float | None  # its speedup, median over the repetitions
    low: float | None  # its speedup in the worst repetition
    pace: float | None  # its wall time over the student's, median
    best_pace: float | None  # the same, in the student's best repetition
    repetitions: int | None  # how many repetitions the figures above come from

    def reaches(self, target: float) -> bool:
        """Whether its median speedup reached `target`: the host allowed it."""
        return self.median is not None and self.median >= target


def call_speedup(
    speedup: float, target: float, reference: Reference, keeps_up: float, trails: float
) -> SpeedupCall:
    """Judge `speedup` against `target`, with `reference` for when it falls short: a pace of
    at least `keeps_up` keeps up with it, one below `trails` in every repetition trails it."""
    if speedup >= target:
        return SpeedupCall.REACHED
    if reference.reaches(target) and reference.pace is not None and reference.pace >= keeps_up:
        return SpeedupCall.KEPT_UP
    if (
        (reference.repetitions or 0) >= MIN_TRAIL_REPETITIONS
        and reference.low is not None
        and reference.low >= target
        and reference.best_pace is not None
        and reference.best_pace < trails
    ):
        return SpeedupCall.TRAILED
    return SpeedupCall.UNSURE
