"""Who a WhatsApp citizen is: one contact, whichever of their two identifiers a payload brings.

Contacts are keyed (channel ``whatsapp``, ``external_id``) by the
business-scoped user id (BSUID), or by the phone number (``wa_id``) when the
first payload had no user id (the format from before April 2026);
``contacts.phone`` holds the ``wa_id``. The outbox sends to the phone number
when it is known and to the BSUID otherwise.

https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.handlers.whatsapp.parse import CHANNEL, Sender
from bot.storage.tables import contacts


async def identify(conn: AsyncConnection, sender: Sender) -> tuple[str, int | None]:
    """The external id of `sender`'s contact and the contact's row id (None: new citizen).

    A contact keyed by its phone number takes the BSUID as its key when one
    arrives (the phone number stays in `phone`). When a new BSUID brings a
    phone number another citizen's contact had, that number has changed
    hands: the old contact keeps its BSUID and loses the number, so nothing
    meant for one reaches the other.
    """
    user_id, wa_id = sender.user_id, sender.wa_id
    wanted = [contacts.c.external_id == key for key in (user_id, wa_id) if key]
    if wa_id:
        wanted.append(contacts.c.phone == wa_id)
    rows = (
        await conn.execute(
            select(contacts.c.id, contacts.c.external_id, contacts.c.phone)
            .where(contacts.c.channel == CHANNEL, or_(*wanted))
            .order_by(contacts.c.id)
        )
    ).all()
    if user_id is None:  # the older format: a phone number only
        assert wa_id is not None  # `parse_message` accepts no message without a sender
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
