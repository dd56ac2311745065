"""Putting outbound messages into the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import Outbound
from bot.storage.models import OutboxMessage

URGENT_PRIORITY = 10
NORMAL_PRIORITY = 0

outbox = OutboxMessage.__table__  # type: ignore[attr-defined]


async def enqueue(
    conn: AsyncConnection,
    *,
    contact_id: int,
    channel: str,
    message: Outbound,
    now: datetime,
    case_message_id: int | None = None,
) -> int:
    """Add one message to the outbox; it is sent after the transaction commits."""
    result = await conn.execute(
        insert(outbox)
        .values(
            channel=channel,
            contact_id=contact_id,
            case_message_id=case_message_id,
            payload=message.to_json(),
            priority=URGENT_PRIORITY if message.urgent else NORMAL_PRIORITY,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .returning(outbox.c.id)
    )
    return int(result.scalar_one())
