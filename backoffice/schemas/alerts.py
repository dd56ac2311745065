"""What `/api/v1/alerts` returns: duty alerts, without anything about the citizen.

An alert names its case by reference only (the case may be anonymous);
who reported it is in the case, for those who open it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from bot.domain.sla import SlaClock


class AlertPublic(BaseModel):
    id: int
    case_ref: str
    category: str | None
    desk: str
    desk_name: str
    raised_at: datetime
    sends: int  # alerts put in the outbox for the duty group (0: back-office only)
    escalation_level: int
    next_send_at: datetime | None  # the next reminder, if one is due
    open: bool  # nobody has acknowledged it yet
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    location_sent_at: datetime | None


class SlaAlertPublic(BaseModel):
    """A case's SLA clock that ran out, or an SP2HP letter due, for the unit's supervisors."""

    id: int
    case_ref: str
    kind: str
    category: str
    clock: SlaClock = Field(
        description="`first_response`, `follow_up`, `resolution`, or `sp2hp` (monthly letter)"
    )
    due_at: datetime
    raised_at: datetime
    sends: int = Field(description="messages put in the outbox for the duty group")
    case_open: bool


class AlertsPublic(BaseModel):
    items: list[AlertPublic]
    total: int
    sla_alerts: list[SlaAlertPublic] = Field(
        default_factory=list,
        description="SLA alerts of the cases one may see (supervisors and admins; newest first)",
    )
    sla_total: int = 0
