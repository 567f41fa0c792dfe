"""The one decision every measured lab makes about a speedup, on each side of each bound."""

import pytest

from grader.speedup import Reference, SpeedupCall, call_speedup

TARGET, KEEPS_UP, TRAILS = 1.1, 0.75, 0.6


@pytest.mark.parametrize(
    ("speedup", "reference", "call"),
    [
        (1.1, Reference(None, None, None, None, 3), SpeedupCall.REACHED),
        (1.0, Reference(1.5, 1.3, 0.75, 0.8, 3), SpeedupCall.KEPT_UP),
        (1.0, Reference(1.5, 1.3, 0.74, 0.8, 3), SpeedupCall.UNSURE),  # between the bounds
        (0.9, Reference(1.5, 1.3, 0.5, 0.59, 3), SpeedupCall.TRAILED),
        (0.9, Reference(1.5, 1.0, 0.5, 0.59, 3), SpeedupCall.UNSURE),  # one slow reference run
        (0.9, Reference(1.5, 1.3, 0.5, 0.6, 3), SpeedupCall.UNSURE),  # one run kept some pace
        (0.9, Reference(1.0, 0.9, 0.9, 0.95, 3), SpeedupCall.UNSURE),  # the host allowed none
        (0.9, Reference(None, None, None, None, 3), SpeedupCall.UNSURE),  # no reference measured
        (0.9, Reference(1.5, 1.3, 0.5, 0.59, 1), SpeedupCall.UNSURE),  # one repetition only
        (0.9, Reference(1.5, 1.3, 0.5, 0.59, 2), SpeedupCall.TRAILED),
    ],
)
def test_a_speedup_short_of_the_target_is_judged_against_the_reference(speedup, reference, call):
    assert call_speedup(speedup, TARGET, reference, KEEPS_UP, TRAILS) is call
