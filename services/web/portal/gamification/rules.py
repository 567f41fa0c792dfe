"""What a graded submission earns.

One small function for now; the rules will move into the course content (achievements
declared per lab), and this is the one place that will then read them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reward:
    """An achievement and EXP, earned once per user (`source_key` is the once)."""

    achievement_id: str
    exp: int
    reason: str
    source_key: str


def rewards_for(lab_id: str, verdict: str) -> tuple[Reward, ...]:
    """The rewards a submission of `lab_id` with `verdict` earns."""
    if lab_id == "thread-lab" and verdict == "passed":
        return (
            Reward(
                achievement_id="thread-master",
                exp=100,
                reason="Passed the Thread Lab",
                source_key="lab-passed:thread-lab",
            ),
        )
    return ()
