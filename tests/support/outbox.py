"""Waiting for the outbox sender, which runs in the background of the app under test."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.runtime import Runtime
from bot.storage.tables import contacts


async def settle(runtime: Runtime, within: float = 5.0) -> None:
    """Return once the outbox has nothing it could send now and nothing in flight.

    The background sender does the sending; passes made here only shorten the wait.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await runtime.sender.backlog():
        await runtime.sender.send_due()
        if loop.time() > deadline:
            raise AssertionError(f"outbox still busy: {await runtime.sender.backlog()} rows")
        await asyncio.sleep(0.01)


async def new_telegram_contact(conn: AsyncConnection, chat: int, now: datetime) -> int:
    """A Telegram chat pintu has not heard from yet, as a contact row; its id."""
    contact_id = await conn.scalar(
        insert(contacts)
        .values(
            channel="telegram",
            external_id=str(chat),
            locale="id",
            locale_chosen=False,
            broadcast_opt_in=True,
            reachable=True,
            created_at=now,
        )
        .returning(contacts.c.id)
    )
    assert contact_id is not None
    return int(contact_id)
