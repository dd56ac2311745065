"""Who a citizen is when their platform knows them by two ids: one contact, either way.

WhatsApp contacts are keyed (channel, ``external_id``) by the
business-scoped user id (BSUID), or by the phone number (``wa_id``) when the
first payload had no user id (the format from before April 2026);
``contacts.phone`` holds the ``wa_id``. The outbox sends to the phone number
when it is known and to the BSUID otherwise.

The hot path only checks that a message's ids agree with the stored contact
(`Inbound.verify_identity`); when they do not, `reconcile` fixes the contact
in a transaction of its own, and releases what was held for the citizen
outside the platform's window, before the message is handed in again.

https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.channel import Identity
from bot.outbox import delivery
from bot.storage.direct import run_on
from bot.storage.tables import contacts


async def identify(conn: AsyncConnection, channel: str, sender: Identity) -> tuple[str, int | None]:
    """The external id of `sender`'s contact and the contact's row id (None: new citizen).

    A contact keyed by its phone number takes the BSUID as its key when one
    arrives (the phone number stays in `phone`). When a new BSUID brings a
    phone number another citizen's contact had, that number has changed
    hands: the old contact keeps its BSUID and loses the number, so nothing
    meant for one reaches the other.
    """
    user_id, wa_id = sender.user_id, sender.phone
    wanted = [contacts.c.external_id == key for key in (user_id, wa_id) if key]
    if wa_id:
        wanted.append(contacts.c.phone == wa_id)
    rows = (
        await conn.execute(
            select(contacts.c.id, contacts.c.external_id, contacts.c.phone)
            .where(contacts.c.channel == channel, or_(*wanted))
            .order_by(contacts.c.id)
        )
    ).all()
    if user_id is None:  # the older format: a phone number only
        if wa_id is None:
            raise ValueError("a citizen without any id")
        if not rows:
            return wa_id, None
        found = next((row for row in rows if row.external_id != wa_id), rows[0])  # a BSUID first
        return found.external_id, found.id
    others = [row for row in rows if row.external_id not in (user_id, wa_id)]
    if wa_id and others:
        await conn.execute(
            update(contacts)
            .where(contacts.c.id.in_([row.id for row in others]), contacts.c.phone == wa_id)
            .values(phone=None)
        )
    mine = next((row for row in rows if row.external_id == user_id), None)
    if mine is not None:
        return user_id, mine.id
    by_phone = next((row for row in rows if wa_id and row.external_id == wa_id), None)
    if by_phone is not None:
        await conn.execute(
            update(contacts).where(contacts.c.id == by_phone.id).values(external_id=user_id)
        )
        return user_id, by_phone.id
    return user_id, None


async def reconcile(
    db: AsyncEngine, channel: str, sender: Identity, *, sent_at: datetime | None, now: datetime
) -> tuple[str, int]:
    """Fix the contact's ids and release what was held for it.

    Returns the contact's external id and how many held messages were released.
    """
    async with db.begin() as conn:
        external_id, contact_id = await identify(conn, channel, sender)
        released = 0
        if contact_id is not None and _recent(channel, sent_at, now):
            held_for = contact_id
            released = await run_on(
                conn, lambda tx: delivery.release_held(tx, contact_id=held_for, now=now)
            )
    return external_id, released


def _recent(channel: str, sent_at: datetime | None, now: datetime) -> bool:
    """Whether a message still opens the window (an old redelivery does not)."""
    window = delivery.WINDOWS.get(channel)
    return sent_at is None or window is None or now - sent_at < window
