"""Delivery statuses officers see, and the customer-service window some channels impose.

A case message sent to a citizen shows one `delivery_status`; it advances
through these, never back (late or repeated platform reports cannot undo a
later status), except when the platform turns a message away because its
window closed, which puts it back to ``awaiting_citizen``::

    awaiting_citizen          outside the window: kept until the citizen writes
    template_sent             an approved template told the citizen there is news
      → template_delivered → template_read   (or template_failed)
    queued → sent → delivered → read         the message itself
    failed | undeliverable    given up (a dead letter says why) | the citizen blocked us

The window: WhatsApp takes free-form messages only within 24 hours of the
citizen's last message (`contacts.last_inbound_at`). Outside it, a message
for the citizen is stored as *held* outbox rows, released as soon as the
citizen writes again; a message that has a notice purpose (an officer's
reply, a change of a case) is also announced by a *notice* row, which the
channel renders as an approved template with the case reference, or skips
when no template is configured. The same happens when the platform refuses
a message as outside the window (WhatsApp error 131047), at send time or
later in a status report.

https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import Outbound
from bot.outbox.queue import outbox, outbox_rows
from bot.storage.models import CaseMessage

case_messages = CaseMessage.__table__  # type: ignore[attr-defined]

WINDOWS = {"whatsapp": timedelta(hours=24)}

AWAITING_CITIZEN = "awaiting_citizen"
QUEUED = "queued"
_RANK = {
    AWAITING_CITIZEN: 0,
    "template_sent": 1,
    "template_delivered": 2,
    "template_read": 3,
    "template_failed": 3,
    QUEUED: 4,
    "sent": 5,
    "delivered": 6,
    "read": 7,
    "failed": 8,
    "undeliverable": 8,
}
_PLATFORM = {"sent": "sent", "delivered": "delivered", "read": "read", "played": "read"}

# Keys of `Outbound.meta` for messages that may need announcing outside a window.
NOTICE = "notice"  # the purpose, a `Notice`
REFERENCE = "ref"  # the case reference, the template's parameter
TEMPLATE = "template"  # "1": this row is the announcement itself


class Notice(StrEnum):
    REPLY = "case_reply"  # an officer replied
    UPDATE = "case_update"  # the case changed (closed, …)


def is_notice(message: Outbound) -> bool:
    return message.meta.get(TEMPLATE) == "1"


def with_notice(message: Outbound, purpose: Notice, reference: str) -> Outbound:
    """`message`, marked as one to announce with `purpose` if it has to wait."""
    return replace(message, meta=message.meta | {NOTICE: purpose.value, REFERENCE: reference})


def outside_window(channel: str, last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether `channel` would refuse a free-form message to this citizen now."""
    window = WINDOWS.get(channel)
    if window is None:
        return False
    if last_inbound_at is None:
        return True
    if last_inbound_at.tzinfo is None:
        last_inbound_at = last_inbound_at.replace(tzinfo=UTC)
    return now - last_inbound_at >= window


async def queue_or_hold(
    conn: AsyncConnection,
    *,
    contact_id: int,
    channel: str,
    message: Outbound,
    held: bool,
    now: datetime,
    case_message_id: int | None = None,
) -> None:
    """Queue `message`, or with `held` keep it for the citizen's next message and announce it."""
    rows = outbox_rows(
        contact_id=contact_id,
        channel=channel,
        message=message,
        now=now,
        case_message_id=case_message_id,
    )
    if held:
        for row in rows:
            row["status"] = "held"
    await conn.execute(insert(outbox), rows)
    if held:
        await _announce(conn, contact_id, channel, message, case_message_id, now)


async def hold(conn: AsyncConnection, *, row_id: int, now: datetime) -> None:
    """The platform refused row `row_id` as outside its window: keep it, and announce it."""
    row = (
        await conn.execute(
            select(
                outbox.c.contact_id, outbox.c.channel, outbox.c.case_message_id, outbox.c.payload
            ).where(outbox.c.id == row_id)
        )
    ).one_or_none()
    if row is None:
        return
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == row_id)
        .values(status="held", claimed_until=None, next_attempt_at=now)
    )
    if row.case_message_id is not None:
        await advance(conn, row.case_message_id, AWAITING_CITIZEN, force=True)
    message = Outbound.from_json(row.payload)
    if not is_notice(message):
        await _announce(conn, row.contact_id, row.channel, message, row.case_message_id, now)


async def release_held(conn: AsyncConnection, *, contact_id: int, now: datetime) -> int:
    """The citizen wrote, so their window is open: send what was kept for them (the count)."""
    rows = (
        await conn.execute(
            select(outbox.c.id, outbox.c.case_message_id).where(
                outbox.c.contact_id == contact_id, outbox.c.status == "held"
            )
        )
    ).all()
    if not rows:
        return 0
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_([row.id for row in rows]))
        .values(status="pending", next_attempt_at=now)
    )
    for case_message_id in {row.case_message_id for row in rows} - {None}:
        await advance(conn, case_message_id, QUEUED)
    return len(rows)


async def advance(
    conn: AsyncConnection,
    case_message_id: int,
    status: str,
    *,
    notice: bool = False,
    force: bool = False,
) -> None:
    """Set a case message's delivery status, unless it already shows a later one.

    `notice`: the status is that of the template announcing the message.
    `force`: set it even if it goes back (the window closed after all).
    """
    if notice and status in ("sent", "delivered", "read", "failed"):
        status = f"template_{status}"
    if status not in _RANK:
        return
    query = (
        update(case_messages)
        .where(case_messages.c.id == case_message_id)
        .values(delivery_status=status)
    )
    if not force:
        earlier = [name for name, rank in _RANK.items() if rank < _RANK[status]]
        query = query.where(
            or_(
                case_messages.c.delivery_status.is_(None),
                case_messages.c.delivery_status.in_(earlier),
            )
        )
    await conn.execute(query)


async def record_report(
    conn: AsyncConnection, *, channel: str, external_message_id: str, status: str
) -> None:
    """A platform's report that the message it knows as `external_message_id` was
    sent, delivered or read (failures go through the outbox sender, which knows
    what to do about them)."""
    platform = _PLATFORM.get(status)
    if platform is None:
        return
    row = (
        await conn.execute(
            select(outbox.c.case_message_id, outbox.c.payload)
            .where(outbox.c.channel == channel, outbox.c.external_message_id == external_message_id)
            .limit(1)
        )
    ).one_or_none()
    if row is None or row.case_message_id is None:
        return
    notice = is_notice(Outbound.from_json(row.payload))
    await advance(conn, row.case_message_id, platform, notice=notice)


async def _announce(
    conn: AsyncConnection,
    contact_id: int,
    channel: str,
    message: Outbound,
    case_message_id: int | None,
    now: datetime,
) -> None:
    """Queue the notice for a held `message`, unless it has no purpose or one is queued already."""
    purpose, reference = message.meta.get(NOTICE), message.meta.get(REFERENCE)
    if not purpose or not reference:
        return
    waiting = await conn.execute(
        select(outbox.c.payload).where(
            outbox.c.contact_id == contact_id,
            outbox.c.status.in_(("pending", "sending")),
            outbox.c.case_message_id == case_message_id
            if case_message_id is not None
            else outbox.c.case_message_id.is_(None),
        )
    )
    for (payload,) in waiting:
        queued = Outbound.from_json(payload)
        if is_notice(queued) and queued.meta.get(REFERENCE) == reference:
            return
    notice = Outbound(
        text=message.text,
        urgent=message.urgent,
        meta={NOTICE: purpose, REFERENCE: reference, TEMPLATE: "1"},
    )
    rows = outbox_rows(
        contact_id=contact_id,
        channel=channel,
        message=replace(notice, text=notice.text[:1000]),
        now=now,
        case_message_id=case_message_id,
    )
    await conn.execute(insert(outbox), rows)
