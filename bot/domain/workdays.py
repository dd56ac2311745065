"""Working-day arithmetic: the clock SP4N-LAPOR! measures complaints by (DOMAIN §2).

A working day is a whole local calendar day (in `PINTU_TIMEZONE`), Monday to
Friday, that is neither a public holiday nor collective leave (*cuti
bersama*) in Indonesia. Working time is the part of an interval that lies in
working days; weekends and holidays do not count. So "3 working days" from
Friday 16:00 is Wednesday 16:00, and from Saturday 10:00 (the clock starting
on Monday 00:00) Thursday 00:00, the end of Wednesday.

The holidays come from the `holidays` package (country ``ID``, categories
public and government = collective leave), computed offline, year by year.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

DAY = timedelta(days=1)
NO_TIME = timedelta(0)
SATURDAY = 5


def indonesian_holidays(year: int) -> Container[date]:
    """Indonesia's public holidays and collective leave in `year`."""
    return holidays.country_holidays("ID", years=year, categories=("public", "government"))


class WorkingCalendar:
    """Which days are working days in one timezone, and time counted on them only."""

    def __init__(
        self,
        zone: str | ZoneInfo,
        holidays_of: Callable[[int], Container[date]] = indonesian_holidays,
    ) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        self._holidays_of = holidays_of
        self._years: dict[int, Container[date]] = {}

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= SATURDAY:
            return False
        year = self._years.get(day.year)
        if year is None:
            year = self._years[day.year] = self._holidays_of(day.year)
        return day not in year

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of working time after `moment` (aware; the result in UTC).

        A moment on a non-working day counts from the start of the next
        working day. `add(t, timedelta(days=n))` adds n working days.
        """
        if duration < NO_TIME:
            raise ValueError("working time to add must not be negative")
        local = moment.astimezone(self.zone)
        left = duration
        while left:
            day = local.date()
            if not self.is_working_day(day):
                local = self._midnight(day + DAY)
                continue
            end = self._midnight(day + DAY)
            available = end - local
            if left < available:
                return (local + left).astimezone(UTC)
            left -= available
            local = end
        return local.astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero when `end` is not after `start`)."""
        total = NO_TIME
        local, stop = start.astimezone(self.zone), end.astimezone(self.zone)
        while local < stop:
            day = local.date()
            next_day = self._midnight(day + DAY)
            if self.is_working_day(day):
                total += min(next_day, stop) - local
            local = next_day
        return total

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)
