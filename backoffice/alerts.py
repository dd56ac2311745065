"""Duty alerts as officers see them: the services behind `/api/v1/alerts`.

Each function runs in the caller's session; the route commits. Listing is
not audited (an alert holds no personal data); acknowledging is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.officers import SignedInOfficer
from backoffice.schemas.alerts import AlertPublic, AlertsPublic, SlaAlertPublic
from bot.domain.desks import DutyDesks
from bot.domain.sla import SlaClock
from bot.duty.service import AckResult, DutyService
from bot.services.casework import OPEN_STATUSES
from bot.storage.tables import alerts, cases, sla_alerts

COLUMNS = (
    alerts.c.id,
    cases.c.ref,
    cases.c.category,
    alerts.c.desk,
    alerts.c.raised_at,
    alerts.c.sends,
    alerts.c.escalation_level,
    alerts.c.next_send_at,
    alerts.c.acknowledged_at,
    alerts.c.acknowledged_by,
    alerts.c.location_sent_at,
)


class AlertAcknowledgedError(Exception):
    """Someone acknowledged the alert before."""

    def __init__(self, result: AckResult) -> None:
        super().__init__(f"alert {result.alert_id} was already acknowledged")
        self.result = result


async def list_alerts(
    session: AsyncSession,
    *,
    desks: DutyDesks,
    open_only: bool,
    since_hours: int,
    page: int,
    per_page: int,
    now: datetime,
) -> AlertsPublic:
    """Every open alert and those raised within `since_hours`: open first, newest first."""
    condition: ColumnElement[bool] = alerts.c.acknowledged_at.is_(None)
    if not open_only:
        condition = or_(condition, alerts.c.raised_at >= now - timedelta(hours=since_hours))
    conn = await session.connection()
    total = await conn.scalar(select(func.count()).select_from(alerts).where(condition))
    rows = await conn.execute(
        select(*COLUMNS)
        .join(cases, cases.c.id == alerts.c.case_id)
        .where(condition)
        .order_by(
            alerts.c.acknowledged_at.is_not(None), alerts.c.raised_at.desc(), alerts.c.id.desc()
        )
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AlertsPublic(items=[_public(row, desks) for row in rows], total=int(total or 0))


async def read_alert(
    session: AsyncSession, *, desks: DutyDesks, alert_id: int
) -> AlertPublic | None:
    conn = await session.connection()
    row = (
        await conn.execute(
            select(*COLUMNS)
            .join(cases, cases.c.id == alerts.c.case_id)
            .where(alerts.c.id == alert_id)
        )
    ).one_or_none()
    return None if row is None else _public(row, desks)


async def acknowledge_alert(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    duty: DutyService,
    alert_id: int,
    now: datetime,
) -> AlertPublic | None:
    """Acknowledge for `officer` (the duty group is told; wake the sender after
    committing); None: no such alert. Raises `AlertAcknowledgedError` if done before."""
    conn = await session.connection()
    result = await duty.acknowledge_on(
        conn, alert_id=alert_id, by=officer.username, now=now, tell_group=True
    )
    if result is None:
        return None
    if not result.fresh:
        raise AlertAcknowledgedError(result)
    acknowledged = await read_alert(session, desks=duty.desks, alert_id=alert_id)
    assert acknowledged is not None
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=audit.AuditAction.ALERT_ACK,
        target=result.ref,
        detail={"alert_id": alert_id, "escalation_level": acknowledged.escalation_level},
        now=now,
    )
    return acknowledged


def _public(row: Any, desks: DutyDesks) -> AlertPublic:
    desk = desks.get(row.desk)
    return AlertPublic(
        id=row.id,
        case_ref=row.ref,
        category=row.category or None,
        desk=row.desk,
        desk_name=desk.name if desk is not None else row.desk,
        raised_at=row.raised_at,
        sends=row.sends,
        escalation_level=row.escalation_level,
        next_send_at=row.next_send_at,
        open=row.acknowledged_at is None,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        location_sent_at=row.location_sent_at,
    )


async def list_sla_alerts(
    session: AsyncSession,
    *,
    scope: ColumnElement[bool],
    open_only: bool,
    since_hours: int,
    limit: int,
    now: datetime,
) -> tuple[list[SlaAlertPublic], int]:
    """SLA alerts of the cases in `scope`: those of open cases, and those raised within
    `since_hours` (unless `open_only`); newest first, at most `limit`; and how many match."""
    case_open = cases.c.status.in_([str(status) for status in OPEN_STATUSES])
    condition: ColumnElement[bool] = case_open
    if not open_only:
        condition = or_(case_open, sla_alerts.c.raised_at >= now - timedelta(hours=since_hours))
    joined = sla_alerts.join(cases, cases.c.id == sla_alerts.c.case_id)
    conn = await session.connection()
    total = await conn.scalar(select(func.count()).select_from(joined).where(condition, scope))
    rows = await conn.execute(
        select(
            sla_alerts.c.id,
            cases.c.ref,
            cases.c.kind,
            cases.c.category,
            sla_alerts.c.clock,
            sla_alerts.c.due_at,
            sla_alerts.c.raised_at,
            sla_alerts.c.sends,
            case_open.label("case_open"),
        )
        .select_from(joined)
        .where(condition, scope)
        .order_by(sla_alerts.c.raised_at.desc(), sla_alerts.c.id.desc())
        .limit(limit)
    )
    items = [
        SlaAlertPublic(
            id=row.id,
            case_ref=row.ref,
            kind=row.kind,
            category=row.category,
            clock=SlaClock(row.clock),
            due_at=row.due_at,
            raised_at=row.raised_at,
            sends=row.sends,
            case_open=bool(row.case_open),
        )
        for row in rows
    ]
    return items, int(total or 0)
