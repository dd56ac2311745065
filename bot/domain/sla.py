"""SLA clocks of a case (DESIGN §6 "SLA clocks", DOMAIN §2): pure rules, no storage.

A complaint runs three clocks, as SP4N-LAPOR! measures them:

- **first response**: an officer answers within `first_response_days` working
  days of the complaint (3);
- **follow-up**: the handling unit's next step — the next officer reply, or
  the resolution — within `follow_up_days` working days of the first
  response (5);
- **resolution**: resolved or closed within `resolution_days` calendar days (60).

An incident report runs one clock in minutes by priority (urgent 15, high
120, normal 1440): the first response. Its later course is watched by the
SP2HP reminder (`bot.services.sla_clock`).

While a case waits for the citizen every clock still running stands still:
on resuming, its due time moves on by the time paused — working time for
working-day clocks, elapsed time for the others.

A case's SLA state (`SlaState`) follows from a few stored facts — its status,
the due time of the clock running now, the moment that clock turns
"due soon", and whether any clock was met late — so that a database query
(`sla_state_condition` in the back-office) decides it exactly as `state` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.workdays import WorkingCalendar

COMPLAINT = "complaint"
WAITING_CITIZEN = "waiting_citizen"
FINISHED = ("resolved", "closed")


class SlaState(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"


class SlaClock(StrEnum):
    FIRST_RESPONSE = "first_response"
    FOLLOW_UP = "follow_up"
    RESOLUTION = "resolution"
    SP2HP = "sp2hp"  # the monthly progress letter of an investigation (a reminder, no due)


@dataclass(frozen=True, slots=True)
class Clocks:
    """The due and met times of one case's clocks (None: the clock does not run)."""

    opened_at: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None = None
    follow_up_due: datetime | None = None
    followed_up_at: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Running:
    """The clock running now: due at `due`, "due soon" from `soon`."""

    clock: SlaClock
    due: datetime
    soon: datetime


@dataclass(frozen=True, slots=True)
class Summary:
    """What is stored beside the clocks so that queries can tell a case's state."""

    running: Running | None
    missed: bool  # some clock was met after its due time


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    calendar: WorkingCalendar
    first_response_days: int = 3
    follow_up_days: int = 5
    resolution_days: int = 60
    incident_minutes: Mapping[str, int] | None = None  # by priority; see INCIDENT_MINUTES
    due_soon_share: float = 0.2  # "due soon" in the last 20 % of the allowance

    def opened(self, kind: str, priority: str, now: datetime) -> Clocks:
        """The clocks of a case opened `now`."""
        if kind == COMPLAINT:
            return Clocks(
                opened_at=now,
                first_response_due=self.calendar.add(now, timedelta(days=self.first_response_days)),
                resolution_due=now + timedelta(days=self.resolution_days),
            )
        minutes = (self.incident_minutes or INCIDENT_MINUTES).get(priority)
        if minutes is None:
            minutes = INCIDENT_MINUTES["normal"]
        return Clocks(opened_at=now, first_response_due=now + timedelta(minutes=minutes))

    def responded(self, clocks: Clocks, kind: str, now: datetime) -> Clocks:
        """An officer replied to the citizen `now`."""
        if clocks.first_response_at is None:
            follow_up = None
            if kind == COMPLAINT:
                follow_up = self.calendar.add(now, timedelta(days=self.follow_up_days))
            return replace(clocks, first_response_at=now, follow_up_due=follow_up)
        if clocks.follow_up_due is not None and clocks.followed_up_at is None:
            return replace(clocks, followed_up_at=now)
        return clocks

    def resolved(self, clocks: Clocks, now: datetime) -> Clocks:
        """The case was resolved or closed `now` (the citizen is told: that answers too)."""
        follow_up_pending = clocks.follow_up_due is not None and clocks.followed_up_at is None
        return replace(
            clocks,
            first_response_at=clocks.first_response_at or now,
            followed_up_at=now if follow_up_pending else clocks.followed_up_at,
            resolved_at=clocks.resolved_at or now,
        )

    def reopened(self, clocks: Clocks) -> Clocks:
        """The resolution clock runs again, toward its original (paused-adjusted) due time."""
        return replace(clocks, resolved_at=None)

    def resumed(self, clocks: Clocks, kind: str, since: datetime, now: datetime) -> Clocks:
        """The case waited for the citizen from `since` to `now`: push what still runs."""
        working = self.calendar.between(since, now)
        elapsed = max(now - since, timedelta(0))

        def push(
            due: datetime | None, met: datetime | None, in_working_days: bool
        ) -> datetime | None:
            if due is None or met is not None:
                return due
            return self.calendar.add(due, working) if in_working_days else due + elapsed

        in_working_days = kind == COMPLAINT
        return replace(
            clocks,
            first_response_due=push(
                clocks.first_response_due, clocks.first_response_at, in_working_days
            ),
            follow_up_due=push(clocks.follow_up_due, clocks.followed_up_at, True),
            resolution_due=push(clocks.resolution_due, clocks.resolved_at, False),
        )

    def summary(self, clocks: Clocks) -> Summary:
        """The clock running now (the earliest due not yet met) and whether any was missed."""
        pending: list[Running] = []
        missed = False
        for clock, start, due, met in (
            (
                SlaClock.FIRST_RESPONSE,
                clocks.opened_at,
                clocks.first_response_due,
                clocks.first_response_at,
            ),
            (
                SlaClock.FOLLOW_UP,
                clocks.first_response_at,
                clocks.follow_up_due,
                clocks.followed_up_at,
            ),
            (SlaClock.RESOLUTION, clocks.opened_at, clocks.resolution_due, clocks.resolved_at),
        ):
            if due is None or start is None:
                continue
            if met is not None:
                missed = missed or met > due
                continue
            allowance = max(due - start, timedelta(0))
            pending.append(Running(clock, due, due - allowance * self.due_soon_share))
        running = min(pending, key=lambda r: r.due) if pending else None
        return Summary(running=running, missed=missed)


# First response to an incident report, in minutes, by priority (the duty desk's targets).
INCIDENT_MINUTES: Mapping[str, int] = {"urgent": 15, "high": 120, "normal": 24 * 60}


def state(
    *,
    status: str,
    due: datetime | None,
    soon: datetime | None,
    missed: bool,
    now: datetime,
) -> SlaState:
    """The SLA state from the stored summary (`Summary`) of a case with `status`."""
    if status == WAITING_CITIZEN:
        return SlaState.PAUSED
    if status in FINISHED:
        return SlaState.BREACHED if missed else SlaState.MET
    if missed or (due is not None and due <= now):
        return SlaState.BREACHED
    if due is not None and soon is not None and soon <= now:
        return SlaState.DUE_SOON
    return SlaState.OK
