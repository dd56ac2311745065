"""Duty alerts: every officer sees them and may acknowledge one.

An alert is an urgent incident report put before the duty desk; it is
re-sent and escalated until acknowledged, in the duty officers' Telegram
group or here. Alerts carry no personal data of the citizen.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from backoffice import alerts
from backoffice.api.deps import CaseScope, CurrentOfficer, RuntimeDep, SessionDep
from backoffice.api.params import RowId
from backoffice.officers import Role
from backoffice.schemas.alerts import AlertPublic, AlertsPublic

router = APIRouter(
    prefix="/alerts",
    tags=["alerts"],
    responses={401: {"description": "Missing, invalid or expired token"}},
)
SLA_ALERT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})  # a breach alerts the supervisors
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No alert with this id"}}
DONE_BEFORE: dict[int | str, dict[str, Any]] = {
    409: {"description": "Someone acknowledged the alert already"}
}


@router.get("")
async def read_alerts(
    session: SessionDep,
    runtime: RuntimeDep,
    officer: CurrentOfficer,
    scope: CaseScope,
    open_only: Annotated[bool, Query(alias="open", description="only unacknowledged")] = False,
    since_hours: Annotated[
        int, Query(ge=1, le=24 * 90, description="acknowledged alerts raised this recently")
    ] = 24,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlertsPublic:
    """Open alerts first, then recent acknowledged ones; newest first within each.

    Supervisors and admins also get `sla_alerts`: the SLA breaches and SP2HP
    letters due of the cases they may see (those of open cases, and recent ones)."""
    now = runtime.clock.now()
    listed = await alerts.list_alerts(
        session,
        desks=runtime.duty.desks,
        open_only=open_only,
        since_hours=since_hours,
        page=page,
        per_page=per_page,
        now=now,
    )
    if officer.role in SLA_ALERT_ROLES:
        listed.sla_alerts, listed.sla_total = await alerts.list_sla_alerts(
            session,
            scope=scope,
            open_only=open_only,
            since_hours=since_hours,
            limit=per_page,
            now=now,
        )
    return listed


@router.post("/{alert_id}/ack", responses=NOT_FOUND | DONE_BEFORE)
async def acknowledge_alert(
    alert_id: RowId, session: SessionDep, runtime: RuntimeDep, officer: CurrentOfficer
) -> AlertPublic:
    """Acknowledge in the officer's name: reminders stop and the duty group is told."""
    try:
        acknowledged = await alerts.acknowledge_alert(
            session, officer=officer, duty=runtime.duty, alert_id=alert_id, now=runtime.clock.now()
        )
    except alerts.AlertAcknowledgedError as done:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"alert {alert_id} was acknowledged by {done.result.acknowledged_by} "
            f"at {done.result.acknowledged_at.isoformat()}",
        ) from None
    if acknowledged is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no alert {alert_id}")
    await session.commit()
    runtime.sender.wake()
    return acknowledged
