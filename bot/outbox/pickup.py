"""Messages a channel collects instead of pushing: web chat's long poll reads them here.

For such a channel sending is recording: the outbox row marked sent is the
message, and the browser picks it up by row id.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.messages import Outbound
from bot.storage.database import reading
from bot.storage.tables import contacts, outbox


async def sent_to(
    db: AsyncEngine, *, channel: str, external_id: str, after: int, limit: int = 100
) -> tuple[int | None, list[tuple[int, Outbound]]]:
    """The contact's row id (None: unknown yet) and what was sent to it after row `after`."""
    async with reading(db) as conn:
        contact_id = await conn.scalar(
            select(contacts.c.id).where(
                contacts.c.channel == channel, contacts.c.external_id == external_id
            )
        )
        if contact_id is None:
            return None, []
        rows = await conn.execute(
            select(outbox.c.id, outbox.c.payload)
            .where(
                outbox.c.contact_id == contact_id, outbox.c.status == "sent", outbox.c.id > after
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return contact_id, [(row.id, Outbound.from_json(row.payload)) for row in rows]
