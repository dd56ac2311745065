"""Broadcasts as admins handle them: the services behind `/api/v1/broadcasts`.

Each function runs in the caller's session and writes its audit entry there;
the route commits. A state change is one conditional UPDATE (from the states
it makes sense in), so it cannot cross the scheduler's own changes; the
queued copies follow in the same transaction (`bot.services.broadcast_control`).
Sending itself is the scheduler's (`bot.services.broadcasts`).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice import audit
from backoffice.audit import AuditAction
from backoffice.officers import SignedInOfficer
from backoffice.schemas.broadcasts import (
    AudienceIn,
    BroadcastCounts,
    BroadcastCreated,
    BroadcastIn,
    BroadcastPublic,
    BroadcastsPublic,
)
from bot.runtime import Runtime
from bot.services import broadcast_audience, broadcast_control
from bot.services.broadcast_audience import Audience
from bot.storage.direct import run_on
from bot.storage.models import Broadcast
from bot.storage.tables import broadcasts

SEND_AT_GRACE = timedelta(minutes=5)  # a send_at this far in the past still means "now"
MAX_AHEAD = timedelta(days=366)


class Control(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


# From which states each change makes sense, and the state it leads to.
_FROM = {
    Control.PAUSE: ("scheduled", "sending"),
    Control.RESUME: ("paused",),
    Control.CANCEL: ("awaiting_approval", "scheduled", "sending", "paused"),
}
_AUDITED = {
    Control.PAUSE: AuditAction.BROADCAST_PAUSE,
    Control.RESUME: AuditAction.BROADCAST_RESUME,
    Control.CANCEL: AuditAction.BROADCAST_CANCEL,
}


def controls_in(status: str) -> list[Control]:
    """The changes that make sense for a broadcast in `status`."""
    return [action for action, states in _FROM.items() if status in states]


class BroadcastInvalid(Exception):
    """The request cannot be a broadcast; the message says why (422)."""


class BroadcastNotFound(Exception):
    pass


class BroadcastForbidden(Exception):
    """The author cannot approve their own broadcast (403)."""


class BroadcastConflict(Exception):
    """The change makes no sense in the broadcast's state (409); the message says why."""


@dataclass(frozen=True, slots=True)
class Policy:
    """What the configuration decides about new broadcasts."""

    channels: Collection[str]  # those this service can send on
    surveys: Collection[str]  # the codes of the surveys a broadcast may invite to
    approval_min: int
    timezone: str


def policy_of(runtime: Runtime) -> Policy:
    """The policy this service's configuration sets."""
    return Policy(
        channels=runtime.broadcasts.channels,
        surveys=runtime.surveys.keys(),
        approval_min=runtime.settings.broadcast_approval_min,
        timezone=runtime.settings.timezone,
    )


async def create_broadcast(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    body: BroadcastIn,
    policy: Policy,
    now: datetime,
) -> BroadcastCreated:
    """Store a new broadcast with its audience counted now; it waits for a second admin
    when that audience is `approval_min` citizens or more."""
    if body.survey is not None and body.survey not in policy.surveys:
        raise BroadcastInvalid(f"unknown survey {body.survey!r}")
    channel = body.audience.channel
    if channel is not None and channel not in policy.channels:
        raise BroadcastInvalid(f"the {channel} channel is not on in this service")
    first_run = _first_run(body, policy.timezone, now)
    audience = Audience(**body.audience.model_dump())
    size = await run_on(
        await session.connection(),
        lambda tx: broadcast_audience.count(tx, audience, channels=policy.channels, now=now),
    )
    waits = size >= policy.approval_min
    broadcast = Broadcast(
        author_id=officer.id,
        status="awaiting_approval" if waits else "scheduled",
        message=json.dumps({k: v for k, v in body.message.items() if v}, ensure_ascii=False),
        survey_code=body.survey,
        audience=audience.to_json(),
        audience_size=size,
        send_at=body.send_at,
        cron=body.cron,
        next_run_at=first_run,
        created_at=now,
        updated_at=now,
    )
    session.add(broadcast)
    await session.flush()
    assert broadcast.id is not None
    await _audit(
        session,
        officer,
        AuditAction.BROADCAST_CREATE,
        broadcast.id,
        now,
        audience_size=size,
        status=broadcast.status,
        cron=body.cron is not None,
        survey=body.survey,
    )
    return BroadcastCreated(id=broadcast.id, status=broadcast.status, audience_size=size)


def _first_run(body: BroadcastIn, timezone: str, now: datetime) -> datetime:
    """When the broadcast is first due: `send_at` (or now), or the cron's first fire from then."""
    start = body.send_at or now
    if start < now - SEND_AT_GRACE:
        raise BroadcastInvalid("send_at is in the past")
    if start > now + MAX_AHEAD:
        raise BroadcastInvalid("send_at is more than a year ahead")
    if body.cron is None:
        return max(start, now)
    try:
        trigger = broadcast_control.cron_trigger(body.cron, timezone)
    except (ValueError, KeyError, TypeError) as error:
        raise BroadcastInvalid(f"cron {body.cron!r} is not valid: {error}") from None
    fire: datetime | None = trigger.get_next_fire_time(None, max(start, now))
    if fire is None:
        raise BroadcastInvalid(f"cron {body.cron!r} never fires")
    return fire


async def approve_broadcast(
    session: AsyncSession, *, officer: SignedInOfficer, broadcast_id: int, now: datetime
) -> BroadcastPublic:
    """A second admin lets a large broadcast go out as scheduled."""
    conn = await session.connection()
    changed = await conn.execute(
        update(broadcasts)
        .where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.status == "awaiting_approval",
            broadcasts.c.author_id != officer.id,
        )
        .values(status="scheduled", approved_by_id=officer.id, updated_at=now)
    )
    if not changed.rowcount:
        found = await _row(conn, broadcast_id)
        if found.author_id == officer.id:
            raise BroadcastForbidden("the author of a broadcast cannot approve it")
        reason = f"broadcast {broadcast_id} is {found.status}, not awaiting approval"
        raise BroadcastConflict(reason)
    await _audit(session, officer, AuditAction.BROADCAST_APPROVE, broadcast_id, now)
    return await read_broadcast(session, broadcast_id=broadcast_id)


async def control_broadcast(
    session: AsyncSession,
    *,
    officer: SignedInOfficer,
    broadcast_id: int,
    action: Control,
    now: datetime,
) -> BroadcastPublic:
    """Pause (unsent copies held), resume, or cancel (unsent copies dropped)."""
    conn = await session.connection()
    resumed = case((broadcasts.c.run_started_at.is_(None), "scheduled"), else_="sending")
    target: Any = {Control.PAUSE: "paused", Control.CANCEL: "cancelled"}.get(action, resumed)
    changed = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.status.in_(_FROM[action]))
        .values(status=target, claimed_until=None, updated_at=now)
    )
    if not changed.rowcount:
        found = await _row(conn, broadcast_id)
        raise BroadcastConflict(f"broadcast {broadcast_id} is {found.status}: cannot {action}")
    if action is Control.PAUSE:
        await run_on(conn, lambda tx: broadcast_control.pause(tx, broadcast_id))
    elif action is Control.RESUME:
        await run_on(conn, lambda tx: broadcast_control.resume(tx, broadcast_id, now))
    else:
        await run_on(conn, lambda tx: broadcast_control.cancel(tx, broadcast_id))
    await _audit(session, officer, _AUDITED[action], broadcast_id, now)
    return await read_broadcast(session, broadcast_id=broadcast_id)


async def read_broadcast(session: AsyncSession, *, broadcast_id: int) -> BroadcastPublic:
    conn = await session.connection()
    return await _public(conn, await _row(conn, broadcast_id))


async def list_broadcasts(session: AsyncSession, *, page: int, per_page: int) -> BroadcastsPublic:
    """Newest first."""
    conn = await session.connection()
    total = await conn.scalar(select(func.count()).select_from(broadcasts))
    rows = await conn.execute(
        select(broadcasts)
        .order_by(broadcasts.c.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = [await _public(conn, row) for row in rows.all()]
    return BroadcastsPublic(items=items, total=int(total or 0))


async def _row(conn: AsyncConnection, broadcast_id: int) -> Any:
    found = (await conn.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id))).first()
    if found is None:
        raise BroadcastNotFound(f"no broadcast {broadcast_id}")
    return found


async def _public(conn: AsyncConnection, row: Any) -> BroadcastPublic:
    counts = await run_on(conn, lambda tx: broadcast_control.counts(tx, row.id))
    return BroadcastPublic(
        id=row.id,
        status=row.status,
        audience_size=row.audience_size,
        counts=BroadcastCounts(**counts),
        message=json.loads(row.message),
        survey=row.survey_code,
        audience=AudienceIn(**json.loads(row.audience)),
        send_at=row.send_at,
        cron=row.cron,
        next_run_at=row.next_run_at,
        run=row.run,
        author_id=row.author_id,
        approved_by_id=row.approved_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _audit(
    session: AsyncSession,
    officer: SignedInOfficer,
    action: AuditAction,
    broadcast_id: int,
    now: datetime,
    **detail: audit.AuditValue,
) -> None:
    await audit.record(
        session,
        actor=officer.username,
        officer_id=officer.id,
        action=action,
        target=str(broadcast_id),
        detail=detail,
        now=now,
    )
