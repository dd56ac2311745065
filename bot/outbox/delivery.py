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

Everything here runs on a `Tx`, inside the caller's transaction: the outbox
sender's (the one writer) and, through `run_on`, the back-office's.

https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.domain.messages import Outbound
from bot.outbox.queue import put
from bot.storage.direct import Tx

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
REFERENCE = "ref"  # the case reference or application number, the template's parameter
TEMPLATE = "template"  # "1": this row is the announcement itself

ROW = "SELECT contact_id, channel, case_message_id, payload FROM outbox WHERE id = :row_id"
HOLD = """UPDATE outbox SET status = 'held', claimed_until = NULL, next_attempt_at = :now
WHERE id = :row_id"""
RELEASE = """UPDATE outbox SET status = 'pending', next_attempt_at = :now
WHERE contact_id = :contact_id AND status = 'held' RETURNING case_message_id"""
SET_STATUS = "UPDATE case_messages SET delivery_status = :status WHERE id = :case_message_id"
# Only forward: the statuses ranked below the new one, as parameters :below0, :below1, …
_BELOW = {
    status: [name for name, rank in _RANK.items() if rank < _RANK[status]] for status in _RANK
}
ADVANCE = {
    status: SET_STATUS
    + " AND (delivery_status IS NULL OR delivery_status IN ("
    + ", ".join(f":below{n}" for n in range(len(below)))
    + "))"
    if below
    else SET_STATUS + " AND delivery_status IS NULL"
    for status, below in _BELOW.items()
}
REPORTED = """SELECT case_message_id, payload, id FROM outbox
WHERE channel = :channel AND external_message_id = :external_message_id LIMIT 1"""
# A broadcast's copy: delivered, then read, never back.
RECIPIENT_REPORTED = {
    "delivered": """UPDATE broadcast_recipients SET delivery = 'delivered'
WHERE outbox_id = :outbox_id AND delivery IS NULL""",
    "read": """UPDATE broadcast_recipients SET delivery = 'read'
WHERE outbox_id = :outbox_id AND (delivery IS NULL OR delivery = 'delivered')""",
}
WAITING = """SELECT payload FROM outbox WHERE contact_id = :contact_id
AND status IN ('pending', 'sending') AND case_message_id {same}"""
WAITING_FOR_MESSAGE = WAITING.format(same="= :case_message_id")
WAITING_FOR_NONE = WAITING.format(same="IS NULL")


class Notice(StrEnum):
    REPLY = "case_reply"  # an officer replied
    UPDATE = "case_update"  # the case changed (closed, …)
    SURVEY = "survey_invitation"  # an invitation to rate a service
    BROADCAST = "broadcast"  # an announcement to subscribers (the parameter is its text)


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


def queue_or_hold(
    tx: Tx,
    *,
    contact_id: int,
    channel: str,
    message: Outbound,
    held: bool,
    now: datetime,
    case_message_id: int | None = None,
) -> None:
    """Queue `message`, or with `held` keep it for the citizen's next message and announce it."""
    put(
        tx,
        contact_id=contact_id,
        channel=channel,
        message=message,
        now=now,
        case_message_id=case_message_id,
        status="held" if held else "pending",
    )
    if held:
        _announce(tx, contact_id, channel, message, case_message_id, now)


def hold(tx: Tx, *, row_id: int, now: datetime) -> None:
    """The platform refused row `row_id` as outside its window: keep it, and announce it."""
    found = tx.rows(ROW, {"row_id": row_id})
    if not found:
        return
    contact_id, channel, case_message_id, payload = found[0]
    tx.execute(HOLD, {"row_id": row_id, "now": tx.time(now)})
    if case_message_id is not None:
        advance(tx, case_message_id, AWAITING_CITIZEN, force=True)
    message = Outbound.from_json(payload)
    if not is_notice(message):
        _announce(tx, contact_id, channel, message, case_message_id, now)


def release_held(tx: Tx, *, contact_id: int, now: datetime) -> int:
    """The citizen wrote, so their window is open: send what was kept for them (the count)."""
    released = tx.rows(RELEASE, {"contact_id": contact_id, "now": tx.time(now)})
    for case_message_id in {row[0] for row in released} - {None}:
        advance(tx, case_message_id, QUEUED)
    return len(released)


def advance(
    tx: Tx,
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
    values: dict[str, object] = {"case_message_id": case_message_id, "status": status}
    if force:
        tx.execute(SET_STATUS, values)
        return
    values |= {f"below{n}": name for n, name in enumerate(_BELOW[status])}
    tx.execute(ADVANCE[status], values)


def record_report(tx: Tx, *, channel: str, external_message_id: str, status: str) -> None:
    """A platform's report that the message it knows as `external_message_id` was
    sent, delivered or read (failures go through the outbox sender, which knows
    what to do about them). A message that is no case message's may be a
    broadcast's copy, whose recipient row keeps delivered and read."""
    platform = _PLATFORM.get(status)
    if platform is None:
        return
    found = tx.rows(REPORTED, {"channel": channel, "external_message_id": external_message_id})
    if not found:
        return
    case_message_id, payload, row_id = found[0]
    if case_message_id is None:
        if platform in RECIPIENT_REPORTED:
            tx.execute(RECIPIENT_REPORTED[platform], {"outbox_id": row_id})
        return
    advance(tx, case_message_id, platform, notice=is_notice(Outbound.from_json(payload)))


def _announce(
    tx: Tx,
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
    if case_message_id is None:
        waiting = tx.rows(WAITING_FOR_NONE, {"contact_id": contact_id})
    else:
        values = {"contact_id": contact_id, "case_message_id": case_message_id}
        waiting = tx.rows(WAITING_FOR_MESSAGE, values)
    for (payload,) in waiting:
        queued = Outbound.from_json(payload)
        if is_notice(queued) and queued.meta.get(REFERENCE) == reference:
            return
    notice = Outbound(
        text=message.text[:1000],
        urgent=message.urgent,
        meta={NOTICE: purpose, REFERENCE: reference, TEMPLATE: "1"},
    )
    put(
        tx,
        contact_id=contact_id,
        channel=channel,
        message=notice,
        now=now,
        case_message_id=case_message_id,
    )
