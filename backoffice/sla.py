"""Cases' SLA states for the officer API: shown on each case, and as a list filter.

The state is `bot.domain.sla.state` of the summary each case stores; the
filter says the same in SQL, so a case listed under `?sla=breached` shows
`"sla_state": "breached"`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from backoffice.schemas.cases import SlaPublic
from bot.domain.sla import FINISHED, WAITING_CITIZEN, SlaState, state
from bot.storage.models import Case
from bot.storage.tables import cases


def sla_of(case: Case, now: datetime) -> SlaPublic:
    """The case's clocks as officers see them."""
    return SlaPublic(
        state=state(
            status=case.status,
            due=case.sla_next_due_at,
            soon=case.sla_soon_at,
            missed=case.sla_missed,
            now=now,
        ),
        clock=case.sla_clock,
        due_at=case.sla_next_due_at,
        first_response_due_at=case.sla_due_at,
        first_response_at=case.first_response_at,
        follow_up_due_at=case.follow_up_due_at,
        resolution_due_at=case.resolution_due_at,
        resolved_at=case.resolved_at,
        waiting_since=case.waiting_since,
    )


def _running() -> ColumnElement[bool]:
    status = cases.c.status
    return and_(status != WAITING_CITIZEN, not_(status.in_(FINISHED)))


def _late(now: datetime) -> ColumnElement[bool]:
    due = cases.c.sla_next_due_at
    return or_(cases.c.sla_missed == true(), and_(due.is_not(None), due <= now))


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """The open cases whose running clock has run out at `now` (the queue puts them first)."""
    return and_(_running(), _late(now))


def sla_state_condition(wanted: SlaState, now: datetime) -> ColumnElement[bool]:
    """The cases whose SLA state at `now` is `wanted`, as `state` decides it."""
    status, due, soon, missed = (
        cases.c.status,
        cases.c.sla_next_due_at,
        cases.c.sla_soon_at,
        cases.c.sla_missed,
    )
    paused = status == WAITING_CITIZEN
    finished = status.in_(FINISHED)
    running = _running()
    late = _late(now)
    soon_now = and_(due.is_not(None), soon.is_not(None), soon <= now)
    conditions: dict[SlaState, ColumnElement[bool]] = {
        SlaState.PAUSED: paused,
        SlaState.MET: and_(finished, missed == false()),
        SlaState.BREACHED: or_(and_(finished, missed == true()), and_(running, late)),
        SlaState.DUE_SOON: and_(running, not_(late), soon_now),
        SlaState.OK: and_(running, not_(late), not_(soon_now)),
    }
    return conditions[wanted]
