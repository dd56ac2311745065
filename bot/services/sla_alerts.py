"""SLA alerts: a clock that ran out, or an SP2HP letter due, put before the unit's supervisors.

`raise_due` is the scheduler's sweep. It finds

- **breaches**: open cases, not waiting for the citizen, whose running clock
  (`cases.sla_next_due_at`) has run out;
- **SP2HP reminders**: open incident reports with no officer reply for
  `sp2hp_interval` (30 days) — the investigator must tell the reporter of
  the investigation's progress at least monthly (Perkap 12/2009 art. 39,
  DOMAIN §3); a reply starts the month again;

and records one `sla_alerts` row for each. The row's unique key (case,
clock, due time) is the claim: the INSERT of a second sweep — in this
process or another — changes nothing and reports nothing, so every breach is
alerted exactly once, and a clock pushed by a pause or a reply alerts anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.sla import SlaClock
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.direct import stored_time
from bot.storage.tables import case_messages, cases, sla_alerts

RUNNING = ("new", "in_progress")  # open and not waiting for the citizen
BATCH = 200


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """One alert just raised (nothing about the citizen)."""

    alert_id: int
    case_id: int
    ref: str
    kind: str
    category: str
    clock: SlaClock
    due_at: datetime


async def raise_due(
    conn: AsyncConnection, *, now: datetime, sp2hp_interval: timedelta
) -> list[RaisedAlert]:
    """Record every alert due at `now` not raised before; those raised by this call."""
    raised = []
    for row in await _breaches(conn, now):
        clock = SlaClock(row.sla_clock)
        alert = await _raise(conn, row, clock, stored_time(row.sla_next_due_at), now)
        if alert is not None:
            raised.append(alert)
    for row in await _silent_investigations(conn, now, sp2hp_interval):
        due = stored_time(row.anchor) + sp2hp_interval
        alert = await _raise(conn, row, SlaClock.SP2HP, due, now)
        if alert is not None:
            raised.append(alert)
    return raised


async def mark_sent(conn: AsyncConnection, alert_id: int) -> None:
    """The alert was put in the outbox for the duty group."""
    await conn.execute(
        update(sla_alerts).where(sla_alerts.c.id == alert_id).values(sends=sla_alerts.c.sends + 1)
    )


async def _breaches(conn: AsyncConnection, now: datetime) -> list[Row[Any]]:
    statement = (
        select(
            cases.c.id,
            cases.c.ref,
            cases.c.kind,
            cases.c.category,
            cases.c.sla_clock,
            cases.c.sla_next_due_at,
        )
        .where(
            cases.c.status.in_(RUNNING),
            cases.c.sla_clock.is_not(None),
            cases.c.sla_next_due_at <= now,
        )
        .order_by(cases.c.sla_next_due_at, cases.c.id)
        .limit(BATCH)
    )
    return list((await conn.execute(statement)).all())  # type: ignore[arg-type]


async def _silent_investigations(
    conn: AsyncConnection, now: datetime, interval: timedelta
) -> list[Row[Any]]:
    last_reply = (
        select(func.max(case_messages.c.created_at))
        .where(case_messages.c.case_id == cases.c.id, case_messages.c.direction == "out")
        .scalar_subquery()
    )
    anchor = func.coalesce(last_reply, cases.c.created_at)
    statement = (
        select(cases.c.id, cases.c.ref, cases.c.kind, cases.c.category, anchor.label("anchor"))
        .where(cases.c.kind == "incident", cases.c.status.in_(RUNNING), anchor <= now - interval)
        .order_by(cases.c.id)
        .limit(BATCH)
    )
    return list((await conn.execute(statement)).all())  # type: ignore[arg-type]


async def _raise(
    conn: AsyncConnection, row: Row[Any], clock: SlaClock, due: datetime, now: datetime
) -> RaisedAlert | None:
    case_id = int(row.id)
    values = {"case_id": case_id, "clock": clock.value, "due_at": due, "raised_at": now, "sends": 0}
    if not await insert_ignoring_duplicates(conn, sla_alerts, values):
        return None  # raised before, by this sweep's predecessor or another worker
    alert_id = await conn.scalar(
        select(sla_alerts.c.id).where(
            sla_alerts.c.case_id == case_id,
            sla_alerts.c.clock == clock.value,
            sla_alerts.c.due_at == due,
        )
    )
    assert alert_id is not None
    return RaisedAlert(
        alert_id=int(alert_id),
        case_id=case_id,
        ref=row.ref,
        kind=row.kind,
        category=row.category,
        clock=clock,
        due_at=due,
    )
