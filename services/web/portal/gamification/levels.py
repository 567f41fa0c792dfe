"""Levels: names for how much EXP a student has gathered, across every course."""

from __future__ import annotations

from dataclasses import dataclass

# (EXP needed, title): the thresholds of each level, from level 1 up.
LEVELS = (
    (0, "Initiate"),
    (100, "Apprentice"),
    (250, "Engineer"),
    (400, "Architect"),
    (600, "Wizard"),
    (900, "Grand Wizard"),
)


@dataclass(frozen=True)
class Level:
    """A student's level and how far they are towards the next one."""

    number: int
    title: str
    floor: int  # EXP at which this level starts
    next_floor: int | None  # EXP at which the next starts; None at the top

    def percent_to_next(self, exp: int) -> int:
        """Progress from this level to the next, 0..100 (100 at the top level)."""
        if self.next_floor is None:
            return 100
        return round(100 * (exp - self.floor) / (self.next_floor - self.floor))


def level_for(exp: int) -> Level:
    """The level reached with `exp` EXP."""
    number = max(i for i, (floor, _) in enumerate(LEVELS) if exp >= floor)
    floor, title = LEVELS[number]
    next_floor = LEVELS[number + 1][0] if number + 1 < len(LEVELS) else None
    return Level(number + 1, title, floor, next_floor)
