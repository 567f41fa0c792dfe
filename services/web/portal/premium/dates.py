"""The one meaning of an `until` date that admins, codes and the CLI give.

A date is the last day of access: premium granted "until 2027-06-30" lasts through that
day (UTC) and ends at its last second, so a date of today still grants today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from portal.models import utc_now


class PastDate(ValueError):
    """An `until` date that has already gone by."""


def end_of_day(day: date) -> datetime:
    """The last second (UTC) of `day`: when premium granted until `day` ends."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def until_from_date(day: date | None, now: datetime | None = None) -> datetime | None:
    """The stored `until` for a date typed by an admin; None is for good.

    Raises PastDate for a day before today, which would grant nothing.
    """
    if day is None:
        return None
    now = now or utc_now()
    if day < now.astimezone(UTC).date():
        raise PastDate(f"{day.isoformat()} is in the past: give today or a later date.")
    return end_of_day(day)
