"""What the web inbox asks that the API does not: whether its queue changed, and
which cases have a citizen's message nobody has answered yet.

The queue page polls every few seconds. Listing the cases each time would
write an audit entry per officer every few seconds; instead the page sends
back the marker of what it shows and gets the list again only when the
marker moved — a new or changed case, a new message, a new or acknowledged
duty alert, all within the officer's scope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
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


async def unanswered(
    session: AsyncSession, *, refs: Sequence[str], scope: ColumnElement[bool]
) -> dict[str, datetime]:
    """Of the cases `refs`, those whose citizen wrote after the last officer reply
    (or was never answered): ref -> when the citizen last wrote. Messages are
    ordered by id: two may share a timestamp."""
    if not refs:
        return {}

    def last(direction: str) -> Any:
        return (
            select(
                col(CaseMessage.case_id),
                func.max(col(CaseMessage.id)).label("last_id"),
                func.max(col(CaseMessage.created_at)).label("at"),
            )
            .where(col(CaseMessage.direction) == direction)
            .group_by(col(CaseMessage.case_id))
            .subquery()
        )

    citizen, officer = last("in"), last("out")
    rows = await (await session.connection()).execute(
        select(col(Case.ref), citizen.c.at)
        .join(citizen, citizen.c.case_id == col(Case.id))
        .outerjoin(officer, officer.c.case_id == col(Case.id))
        .where(
            col(Case.ref).in_(refs),
            scope,
            or_(officer.c.last_id.is_(None), citizen.c.last_id > officer.c.last_id),
        )
    )
    return {ref: at for ref, at in rows}


async def thread_marker(session: AsyncSession, *, case_id: int) -> str:
    """A short digest that changes with a case's thread: a new message, a new note,
    a reply's delivery advancing."""
    conn = await session.connection()
    rows = await conn.execute(
        select(col(CaseMessage.id), col(CaseMessage.delivery_status))
        .where(col(CaseMessage.case_id) == case_id)
        .order_by(col(CaseMessage.id))
    )
    seen = ",".join(f"{message_id}:{status}" for message_id, status in rows)
    return hashlib.sha256(seen.encode()).hexdigest()[:16]
