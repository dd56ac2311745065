"""Files no case took, removed after a retention period.

A file is stored while a conversation can take it (`bot.ingress.intake`),
but the citizen may still cancel the form, or never finish it: its row then
joins no case. Once such a row is older than the retention period it is
deleted, and so are its files unless another row still names them (storage
is content-addressed: the same photo sent twice is one file). Files of a
citizen whose conversation moved within the period are kept: a form or a
"which case?" question may still name them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.tables import case_messages, conversations, media

BATCH = 500


async def remove_orphans(db: AsyncEngine, root: Path, *, before: datetime) -> int:
    """Delete up to `BATCH` files stored before `before` that joined no case; how many."""
    in_a_message = exists().where(case_messages.c.media_id == media.c.id)
    # A conversation still going may hold the file in a form or a "which case?"
    # question: only files of citizens quiet for the whole period go.
    talking = exists().where(
        conversations.c.contact_id == media.c.contact_id, conversations.c.updated_at >= before
    )
    orphaned = (
        select(media.c.id, media.c.path, media.c.clean_path)
        .where(media.c.case_id.is_(None), media.c.created_at < before, ~in_a_message, ~talking)
        .order_by(media.c.id)
        .limit(BATCH)
    )
    async with db.begin() as conn:
        rows = (await conn.execute(orphaned)).all()
        if not rows:
            return 0
        ids = [row.id for row in rows]
        await conn.execute(delete(media).where(media.c.id.in_(ids), media.c.case_id.is_(None)))
        paths = {path for row in rows for path in (row.path, row.clean_path) if path}
        named = or_(media.c.path.in_(paths), media.c.clean_path.in_(paths))
        kept = {
            path
            for row in (await conn.execute(select(media.c.path, media.c.clean_path).where(named)))
            for path in row
        }
    await asyncio.to_thread(_unlink, root, paths - kept)
    return len(ids)


def _unlink(root: Path, paths: set[str]) -> None:
    for path in paths:
        (root / path).unlink(missing_ok=True)
