"""Cases and their timelines: the domain services citizens' flows and officers share.

Every function works inside the caller's transaction (an `AsyncConnection`),
so a case change and the message that tells the citizen commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.i18n import N_, Translator
from bot.domain.messages import Outbound
from bot.domain.sla import SlaPolicy
from bot.outbox import delivery
from bot.outbox.delivery import Notice
from bot.services import sla_clock
from bot.services.survey_invitations import schedule_after_close
from bot.storage.direct import run_on
from bot.storage.tables import case_messages, cases, contacts, status_changes


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_CITIZEN = "waiting_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_CITIZEN)
CITIZEN = "citizen"


class CaseClosedError(Exception):
    """The case is closed; reopen it before replying."""


@dataclass(frozen=True, slots=True)
class Officer:
    """Who acts on a case, as the timeline and the audit log name them."""

    id: int
    username: str


async def reply(
    conn: AsyncConnection,
    *,
    case_id: int,
    officer: Officer,
    text: str,
    translator: Translator,
    now: datetime,
    sla: SlaPolicy,
) -> int:
    """Store an officer's reply and queue it to the citizen; the case message id.

    Outside the channel's customer-service window (WhatsApp, 24 hours after the
    citizen's last message) the reply waits for the citizen's next message and
    its delivery status says so (`bot.outbox.delivery`). The reply is the case's
    first response, or its follow-up, on the SLA clocks (`bot.services.sla_clock`).
    """
    case = await _case_with_contact(conn, case_id)
    if case.status == CaseStatus.CLOSED:
        raise CaseClosedError(case.ref)
    held = delivery.outside_window(case.channel, case.last_inbound_at, now)
    result = await conn.execute(
        insert(case_messages)
        .values(
            case_id=case_id,
            direction="out",
            author=officer.username,
            officer_id=officer.id,
            text=text,
            delivery_status=delivery.AWAITING_CITIZEN if held else delivery.QUEUED,
            created_at=now,
        )
        .returning(case_messages.c.id)
    )
    message_id = int(result.scalar_one())
    wording = translator.text(case.locale, N_("case.officer_reply"), ref=case.ref, text=text)
    reply = delivery.with_notice(Outbound(text=wording), Notice.REPLY, case.ref)
    await run_on(
        conn,
        lambda tx: delivery.queue_or_hold(
            tx,
            contact_id=case.contact_id,
            channel=case.channel,
            message=reply,
            held=held,
            now=now,
            case_message_id=message_id,
        ),
    )
    await run_on(conn, lambda tx: sla_clock.responded(tx, sla, case_id=case_id, now=now))
    if case.status == CaseStatus.NEW:
        await _set_status(
            conn, case_id, case.status, CaseStatus.IN_PROGRESS, officer.username, now, sla
        )
    else:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(updated_at=now))
    return message_id


async def close(
    conn: AsyncConnection,
    *,
    case_id: int,
    officer: Officer,
    resolution: str,
    translator: Translator,
    now: datetime,
    survey_delay: timedelta,
    sla: SlaPolicy,
) -> None:
    """Close a case with its resolution and tell the citizen (idempotent on closed cases);
    `survey_delay` later, the citizen is invited to rate the service (once per case)."""
    case = await _case_with_contact(conn, case_id)
    if case.status == CaseStatus.CLOSED:
        return
    await conn.execute(
        update(cases).where(cases.c.id == case_id).values(resolution=resolution, closed_at=now)
    )
    await _set_status(conn, case_id, case.status, CaseStatus.CLOSED, officer.username, now, sla)
    wording = translator.text(case.locale, N_("case.closed"), ref=case.ref, resolution=resolution)
    await conn.execute(
        insert(case_messages).values(
            case_id=case_id,
            direction="note",
            author=officer.username,
            officer_id=officer.id,
            text=f"closed: {resolution}",
            created_at=now,
        )
    )
    await _tell(conn, case, wording, now)
    await schedule_after_close(conn, case_id=case_id, now=now, delay=survey_delay)


# What the citizen is told when an officer moves their case to a status (DESIGN §6:
# "every change is timestamped with who did it, and the citizen is told").
STATUS_NEWS = {
    CaseStatus.IN_PROGRESS: N_("case.update.in_progress"),
    CaseStatus.WAITING_CITIZEN: N_("case.update.waiting_citizen"),
    CaseStatus.RESOLVED: N_("case.update.resolved"),
}
REOPENED_NEWS = N_("case.update.reopened")
DONE_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


async def change_status(
    conn: AsyncConnection,
    *,
    case_id: int,
    officer: Officer,
    status: CaseStatus,
    translator: Translator,
    now: datetime,
    sla: SlaPolicy,
) -> bool:
    """Move a case to `status` and tell the citizen; False when it already was there.

    Leaving `resolved` or `closed` for an open status reopens the case (it
    takes replies again, and the citizen hears it was reopened). Closing
    goes through `close`, which needs the resolution.
    """
    case = await _case_with_contact(conn, case_id)
    if case.status == status:
        return False
    reopened = case.status in DONE_STATUSES and status in OPEN_STATUSES
    if reopened:
        await conn.execute(update(cases).where(cases.c.id == case_id).values(closed_at=None))
    await _set_status(conn, case_id, case.status, status, officer.username, now, sla)
    key = REOPENED_NEWS if reopened else STATUS_NEWS.get(status)
    if key is not None:
        await _tell(conn, case, translator.text(case.locale, key, ref=case.ref), now)
    return True


async def add_note(
    conn: AsyncConnection, *, case_id: int, officer: Officer, text: str, now: datetime
) -> int:
    """An internal note in the case's timeline, for officers only: never queued to the citizen."""
    result = await conn.execute(
        insert(case_messages)
        .values(
            case_id=case_id,
            direction="note",
            author=officer.username,
            officer_id=officer.id,
            text=text,
            created_at=now,
        )
        .returning(case_messages.c.id)
    )
    await conn.execute(update(cases).where(cases.c.id == case_id).values(updated_at=now))
    return int(result.scalar_one())


async def _tell(conn: AsyncConnection, case: _CaseContact, wording: str, now: datetime) -> None:
    """News of the case for the citizen, held for a template outside the channel's window."""
    notice = delivery.with_notice(Outbound(wording), Notice.UPDATE, case.ref)
    await run_on(
        conn,
        lambda tx: delivery.queue_or_hold(
            tx,
            contact_id=case.contact_id,
            channel=case.channel,
            message=notice,
            held=delivery.outside_window(case.channel, case.last_inbound_at, now),
            now=now,
        ),
    )


async def _case_with_contact(conn: AsyncConnection, case_id: int) -> _CaseContact:
    row = (
        await conn.execute(
            select(
                cases.c.ref,
                cases.c.status,
                cases.c.channel,
                cases.c.contact_id,
                contacts.c.locale,
                contacts.c.last_inbound_at,
            )
            .join(contacts, contacts.c.id == cases.c.contact_id)
            .where(cases.c.id == case_id)
        )
    ).one()
    return _CaseContact(
        row.ref, row.status, row.channel, row.contact_id, row.locale, row.last_inbound_at
    )


@dataclass(frozen=True, slots=True)
class _CaseContact:
    ref: str
    status: str
    channel: str
    contact_id: int
    locale: str
    last_inbound_at: datetime | None


async def _set_status(
    conn: AsyncConnection,
    case_id: int,
    old: str,
    new: str,
    actor: str,
    now: datetime,
    sla: SlaPolicy,
) -> None:
    """Every status change goes through here: history, SLA clocks, the row."""
    values: dict[str, object] = {"updated_at": now}
    if old != new:
        values["status"] = new
        await _record_status(conn, case_id, old, new, actor, now)
        await run_on(
            conn,
            lambda tx: sla_clock.status_changed(
                tx, sla, case_id=case_id, old=old, new=new, now=now
            ),
        )
    await conn.execute(update(cases).where(cases.c.id == case_id).values(**values))


async def _record_status(
    conn: AsyncConnection, case_id: int, old: str | None, new: str, actor: str, now: datetime
) -> None:
    await conn.execute(
        insert(status_changes).values(
            case_id=case_id, from_status=old, to_status=new, actor=actor, created_at=now
        )
    )
