"""What the web inbox asks that the API does not: whether its queue changed.

The queue page polls every few seconds. Listing the cases each time would
write an audit entry per officer every few seconds; instead the page sends
back the marker of what it shows and gets the list again only when the
marker moved — a new or changed case, a new message, a new or acknowledged
duty alert, all within the officer's scope.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import ColumnElement, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Case, CaseMessage
from bot.storage.tables import alerts


async def queue_marker(session: AsyncSession, *, scope: ColumnElement[bool]) -> str:
    """A short digest that changes whenever the queue the officer sees would."""
    conn = await session.connection()
    in_scope = select(col(Case.id)).where(scope)
    cases = (
        await conn.execute(
            select(func.count(), func.max(col(Case.updated_at))).select_from(Case).where(scope)
        )
    ).one()
    messages = await conn.scalar(
        select(func.max(col(CaseMessage.id))).where(col(CaseMessage.case_id).in_(in_scope))
    )
    duty = (
        await conn.execute(
            select(func.max(alerts.c.id), func.count(alerts.c.acknowledged_at)).select_from(alerts)
        )
    ).one()
    seen = f"{cases[0]}|{cases[1]}|{messages}|{duty[0]}|{duty[1]}"
    return hashlib.sha256(seen.encode()).hexdigest()[:16]
