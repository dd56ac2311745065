"""The dead-letter table: payloads that could not be parsed, handled or sent.

Kept raw so an admin can read and replay them; the platform gets its 2xx so
it stops redelivering.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import DeadLetter

dead_letters = DeadLetter.__table__  # type: ignore[attr-defined]

MAX_PAYLOAD_CHARS = 3_000_000


async def bury(
    conn: AsyncConnection, *, source: str, reason: str, payload: str, now: datetime
) -> None:
    await conn.execute(
        insert(dead_letters).values(
            source=source, reason=reason, payload=payload[:MAX_PAYLOAD_CHARS], created_at=now
        )
    )


async def bury_now(
    db: AsyncEngine, *, source: str, reason: str, payload: str, now: datetime
) -> None:
    """Store one dead letter in a transaction of its own."""
    async with db.begin() as conn:
        await bury(conn, source=source, reason=reason, payload=payload, now=now)
