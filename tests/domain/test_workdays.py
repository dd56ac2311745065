"""Working-day arithmetic on the real Indonesian calendar (the `holidays` package, offline)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.workdays import WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")  # UTC+7, no daylight saving
CALENDAR = WorkingCalendar("Asia/Jakarta")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert CALENDAR.is_working_day(date(2026, 11, 27))  # a Friday
    assert not CALENDAR.is_working_day(date(2026, 11, 28))  # Saturday
    assert not CALENDAR.is_working_day(date(2026, 11, 29))  # Sunday
    assert not CALENDAR.is_working_day(date(2026, 8, 17))  # Monday, Independence Day
    assert not CALENDAR.is_working_day(date(2026, 12, 25))  # Friday, Christmas
    assert not CALENDAR.is_working_day(date(2026, 12, 24))  # Thursday, cuti bersama
    assert CALENDAR.is_working_day(date(2026, 8, 18))


def test_three_working_days_across_a_weekend() -> None:
    # Fri 27 Nov 10:00 -> Mon 30 (1), Tue 1 Dec (2), Wed 2 Dec (3), same time of day.
    due = CALENDAR.add(wib(2026, 11, 27, 10), timedelta(days=3))
    assert due == wib(2026, 12, 2, 10)
    assert due.tzinfo == UTC


def test_three_working_days_across_a_weekend_and_independence_day() -> None:
    # Fri 14 Aug 2026 10:00; Sat 15, Sun 16 and Mon 17 Aug (Hari Kemerdekaan) do not count:
    # Tue 18 (1), Wed 19 (2), Thu 20 Aug (3) -> Thu 20 Aug 10:00 WIB (03:00 UTC).
    due = CALENDAR.add(wib(2026, 8, 14, 10), timedelta(days=3))
    assert due == datetime(2026, 8, 20, 3, 0, tzinfo=UTC)


def test_christmas_and_its_collective_leave_do_not_count() -> None:
    # Wed 23 Dec 2026 09:00; Thu 24 (cuti bersama), Fri 25 (Natal), Sat, Sun do not count:
    # Mon 28 (1), Tue 29 (2), Wed 30 Dec (3) -> Wed 30 Dec 09:00 WIB.
    assert CALENDAR.add(wib(2026, 12, 23, 9), timedelta(days=3)) == wib(2026, 12, 30, 9)


def test_a_clock_started_on_a_weekend_starts_on_monday_morning() -> None:
    # Sat 28 Nov 10:00 -> counted from Mon 30 Nov 00:00: three whole days end Thu 3 Dec 00:00.
    assert CALENDAR.add(wib(2026, 11, 28, 10), timedelta(days=3)) == wib(2026, 12, 3)


def test_nothing_to_add_is_the_moment_itself_even_on_a_sunday() -> None:
    sunday = wib(2026, 11, 29, 10)
    assert CALENDAR.add(sunday, timedelta(0)) == sunday
    # A clock ending at Friday midnight ends there, not on Monday.
    assert CALENDAR.add(wib(2026, 11, 27, 10), timedelta(hours=14)) == wib(2026, 11, 28)


def test_working_time_between_two_moments_skips_the_weekend() -> None:
    # Fri 10:00 -> Mon 10:00: 14 hours of Friday, none of the weekend, 10 of Monday.
    start, end = wib(2026, 11, 27, 10), wib(2026, 11, 30, 10)
    assert CALENDAR.between(start, end) == timedelta(hours=24)
    assert CALENDAR.between(end, start) == timedelta(0)
    assert CALENDAR.between(wib(2026, 11, 28, 1), wib(2026, 11, 29, 23)) == timedelta(0)


def test_negative_time_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add(wib(2026, 11, 27), timedelta(hours=-1))


def test_holidays_are_looked_up_through_the_given_source() -> None:
    every_monday_off = WorkingCalendar("Asia/Jakarta", holidays_of=lambda _year: set())
    assert every_monday_off.add(wib(2026, 8, 14, 10), timedelta(days=1)) == wib(2026, 8, 17, 10)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))


@settings(max_examples=200, deadline=None)
@given(moment=moments, duration=durations)
def test_adding_working_time_adds_exactly_that_much_working_time(
    moment: datetime, duration: timedelta
) -> None:
    later = CALENDAR.add(moment, duration)
    assert later >= moment
    assert CALENDAR.between(moment, later) == duration


@settings(max_examples=200, deadline=None)
@given(moment=moments, first=durations, second=durations)
def test_adding_in_two_steps_is_adding_once(
    moment: datetime, first: timedelta, second: timedelta
) -> None:
    assert CALENDAR.add(CALENDAR.add(moment, first), second) == CALENDAR.add(moment, first + second)
