"""Web-chat browsers whose citizen chose "hapus percakapan ini": their tokens are refused.

A revocation is kept only while a token of that browser could still be
valid; after the tokens' lifetime it is dropped by the scheduler.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.database import insert_ignoring_duplicates
from bot.storage.tables import revoked_browsers


async def revoke(db: AsyncEngine, browser_id: str, *, now: datetime) -> None:
    """Refuse every token of `browser_id` from now on (idempotent)."""
    async with db.begin() as conn:
        row = {"browser_id": browser_id, "revoked_at": now}
        await insert_ignoring_duplicates(conn, revoked_browsers, row)


async def is_revoked(db: AsyncEngine, browser_id: str) -> bool:
    async with db.connect() as conn:
        found = await conn.scalar(
            select(revoked_browsers.c.browser_id).where(revoked_browsers.c.browser_id == browser_id)
        )
    return found is not None


async def forget_old_revocations(db: AsyncEngine, *, before: datetime) -> int:
    """Drop revocations of tokens that have all expired anyway; how many."""
    async with db.begin() as conn:
        result = await conn.execute(
            delete(revoked_browsers).where(revoked_browsers.c.revoked_at < before)
        )
    return result.rowcount or 0
