"""Messages a channel collects instead of pushing: web chat's long poll reads them here.

For such a channel sending is recording: the outbox row marked sent is the
message, and the browser picks it up by row id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.messages import Outbound
from bot.storage.database import reading
from bot.storage.tables import contacts, outbox


@dataclass(frozen=True, slots=True)
class Collected:
    """What a contact collects: its row id and language (None: unknown yet) and the
    messages sent to it, by outbox row id."""

    contact_id: int | None = None
    locale: str | None = None
    sent: list[tuple[int, Outbound]] = field(default_factory=list)


async def sent_to(
    db: AsyncEngine, *, channel: str, external_id: str, after: int, limit: int = 100
) -> Collected:
    """The contact and what was sent to it after row `after`."""
    async with reading(db) as conn:
        found = (
            await conn.execute(
                select(contacts.c.id, contacts.c.locale).where(
                    contacts.c.channel == channel, contacts.c.external_id == external_id
                )
            )
        ).first()
        if found is None:
            return Collected()
        rows = await conn.execute(
            select(outbox.c.id, outbox.c.payload)
            .where(outbox.c.contact_id == found.id, outbox.c.status == "sent", outbox.c.id > after)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        sent = [(row.id, Outbound.from_json(row.payload)) for row in rows]
        return Collected(found.id, found.locale, sent)
