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


REQUEUE = """UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = :now,
claimed_until = NULL WHERE id = :row_id AND status = 'dead'"""


async def requeue(db: AsyncEngine, *, row_id: int, now: datetime) -> bool:
    """Send a dead outbox row again from scratch; False when it is not dead (any more)."""
    async with db.begin() as conn:
        return await run_on(
            conn, lambda tx: tx.execute(REQUEUE, {"row_id": row_id, "now": tx.time(now)}) > 0
        )
