"""The dead-letter table: payloads that could not be parsed, handled or sent.

Kept raw so an admin can read and replay them; the platform gets its 2xx so
it stops redelivering.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.direct import Tx, run_on

MAX_PAYLOAD_CHARS = 3_000_000

BURY = """INSERT INTO dead_letters (source, reason, payload, created_at)
VALUES (:source, :reason, :payload, :now)"""


def bury(tx: Tx, *, source: str, reason: str, payload: str, now: datetime) -> None:
    """Store a dead letter in the caller's transaction."""
    values = {"source": source, "reason": reason, "payload": payload[:MAX_PAYLOAD_CHARS]}
    tx.execute(BURY, values | {"now": tx.time(now)})


async def bury_now(
    db: AsyncEngine, *, source: str, reason: str, payload: str, now: datetime
) -> None:
    """Store one dead letter in a transaction of its own."""
    async with db.begin() as conn:
        await run_on(
            conn, lambda tx: bury(tx, source=source, reason=reason, payload=payload, now=now)
        )
