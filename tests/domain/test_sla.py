"""The SLA rules (`bot.domain.sla`) on a controlled calendar: clocks, pauses, states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.sla import SlaClock, SlaPolicy, SlaState, state
from bot.domain.workdays import WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
POLICY = SlaPolicy(calendar=WorkingCalendar("Asia/Jakarta"))


def wib(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=WIB)


def test_a_complaint_runs_three_clocks() -> None:
    opened = POLICY.opened("complaint", "normal", wib(11, 27, 10))  # a Friday
    assert opened.first_response_due == wib(12, 2, 10)  # 3 working days: Mon, Tue, Wed
    assert opened.resolution_due == wib(11, 27, 10) + timedelta(days=60)
    assert opened.follow_up_due is None  # starts with the first response
    answered = POLICY.responded(opened, "complaint", wib(12, 1, 9))  # Tuesday
    assert answered.first_response_at == wib(12, 1, 9)
    assert answered.follow_up_due == wib(12, 8, 9)  # 5 working days: Wed..Fri, Mon, Tue
    again = POLICY.responded(answered, "complaint", wib(12, 3, 9))
    assert again.followed_up_at == wib(12, 3, 9)
    summary = POLICY.summary(again)
    assert summary.running is not None
    assert summary.running.clock is SlaClock.RESOLUTION
    assert not summary.missed


@pytest.mark.parametrize(
    ("priority", "minutes"), [("urgent", 15), ("high", 120), ("normal", 1440), ("odd", 1440)]
)
def test_an_incident_report_is_answered_within_minutes(priority: str, minutes: int) -> None:
    now = wib(11, 28, 23)  # a Saturday night: incidents know no weekends
    opened = POLICY.opened("incident", priority, now)
    assert opened.first_response_due == now + timedelta(minutes=minutes)
    assert opened.resolution_due is None


def test_a_pause_pushes_working_clocks_by_working_time_and_others_by_elapsed_time() -> None:
    opened = POLICY.opened("complaint", "normal", wib(11, 27, 10))
    # Waiting from Tue 1 Dec 12:00 to Mon 7 Dec 12:00: 12 + 24 + 24 + 24 + 0 + 0 + 12 hours
    # of working time = 4 working days; 6 days elapsed.
    resumed = POLICY.resumed(opened, "complaint", wib(12, 1, 12), wib(12, 7, 12))
    assert resumed.first_response_due == wib(12, 8, 10)  # Wed 2 Dec 10:00 + 4 working days
    assert opened.resolution_due is not None
    assert resumed.resolution_due == opened.resolution_due + timedelta(days=6)
    incident = POLICY.opened("incident", "high", wib(12, 5, 10))  # a Saturday
    paused = POLICY.resumed(incident, "incident", wib(12, 5, 11), wib(12, 5, 13))
    assert paused.first_response_due == wib(12, 5, 14)  # 12:00 + 2 hours paused


def test_a_met_clock_is_not_pushed_and_a_late_one_is_missed() -> None:
    opened = POLICY.opened("complaint", "normal", wib(11, 27, 10))
    late = POLICY.responded(opened, "complaint", wib(12, 3, 10))  # due Wed 2 Dec 10:00
    assert POLICY.summary(late).missed
    resumed = POLICY.resumed(late, "complaint", wib(12, 4, 10), wib(12, 7, 10))
    assert resumed.first_response_due == opened.first_response_due
    done = POLICY.resolved(opened, wib(12, 1, 10))
    assert done.first_response_at == wib(12, 1, 10)  # the closing notice answers the citizen
    assert POLICY.summary(done).running is None
    assert POLICY.reopened(done).resolved_at is None


def test_due_soon_starts_in_the_last_fifth_of_the_allowance() -> None:
    opened = POLICY.opened("complaint", "normal", wib(11, 27, 10))
    running = POLICY.summary(opened).running
    assert running is not None
    assert running.clock is SlaClock.FIRST_RESPONSE
    # 120 hours from Fri 10:00 to Wed 10:00; the last 24 of them are "due soon".
    assert running.soon == wib(12, 1, 10)


NOW = datetime(2026, 12, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "due", "soon", "missed", "expected"),
    [
        ("waiting_citizen", NOW - HOUR, NOW - 2 * HOUR, True, SlaState.PAUSED),
        ("closed", None, None, False, SlaState.MET),
        ("resolved", None, None, True, SlaState.BREACHED),
        ("new", NOW + 2 * HOUR, NOW + HOUR, False, SlaState.OK),
        ("new", NOW + 2 * HOUR, NOW - HOUR, False, SlaState.DUE_SOON),
        ("in_progress", NOW, NOW - HOUR, False, SlaState.BREACHED),
        ("in_progress", NOW + 2 * HOUR, NOW + HOUR, True, SlaState.BREACHED),
        ("in_progress", None, None, False, SlaState.OK),
    ],
)
def test_states(
    status: str, due: datetime | None, soon: datetime | None, missed: bool, expected: SlaState
) -> None:
    assert state(status=status, due=due, soon=soon, missed=missed, now=NOW) is expected
