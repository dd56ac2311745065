"""The duty officers' group as an outbox recipient.

The group is a `contacts` row like a citizen's (channel ``telegram``, the
chat id as external id), created at its first message, so the outbox sender
paces and retries its messages like any other. It is never a citizen: its
updates never reach the engine (`DutyService.is_group`), it has no
conversation, never opts in to broadcasts and gets no privacy notice.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.messages import Outbound
from bot.outbox.queue import enqueue, outbox_rows
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.direct import Tx
from bot.storage.tables import audit_log, contacts

CHANNEL = "telegram"

FIND_GROUP = "SELECT id FROM contacts WHERE channel = :channel AND external_id = :external_id"
NEW_GROUP = """INSERT INTO contacts (channel, external_id, locale, locale_chosen,
privacy_noticed_at, broadcast_opt_in, reachable, created_at) VALUES (:channel, :external_id,
:locale, :locale_chosen, :privacy_noticed_at, :broadcast_opt_in, :reachable, :created_at)
ON CONFLICT DO NOTHING RETURNING id"""
OUTBOX = """INSERT INTO outbox (channel, contact_id, case_message_id, payload, priority, status,
attempts, next_attempt_at, created_at) VALUES (:channel, :contact_id, :case_message_id,
:payload, :priority, :status, :attempts, :next_attempt_at, :created_at)"""


class DutyGroup:
    def __init__(self, chat_id: str, locale: str) -> None:
        if not chat_id.removeprefix("-").isdigit():
            raise ValueError(
                "PINTU_DUTY_TELEGRAM_CHAT_ID must be a Telegram chat id (an integer, "
                f"negative for groups), not {chat_id!r}"
            )
        self.chat_id = chat_id
        self.locale = locale

    def queue(self, tx: Tx, message: Outbound, now: datetime) -> None:
        """Put `message` in the outbox for the group, in the caller's `Tx`."""
        at = tx.time(now)
        contact_id = self.contact(tx, at)
        rows = [
            row | {"next_attempt_at": at, "created_at": at}
            for row in outbox_rows(contact_id=contact_id, channel=CHANNEL, message=message, now=now)
        ]
        tx.execute_many(OUTBOX, rows)
        tx.queued.add(CHANNEL)

    async def queue_async(self, conn: AsyncConnection, message: Outbound, now: datetime) -> None:
        """The same in the caller's async transaction."""
        find = select(contacts.c.id).where(
            contacts.c.channel == CHANNEL, contacts.c.external_id == self.chat_id
        )
        contact_id: int | None = await conn.scalar(find)
        if contact_id is None:
            await insert_ignoring_duplicates(conn, contacts, self._row(now))
            contact_id = await conn.scalar(find)
        assert contact_id is not None  # inserted, or by another worker a moment ago
        await enqueue(conn, contact_id=contact_id, channel=CHANNEL, message=message, now=now)

    def contact(self, tx: Tx, at: Any) -> int:
        """The group's contact id, created at its first use."""
        values = self._row(at)
        for statement in (FIND_GROUP, NEW_GROUP, FIND_GROUP):
            found = tx.rows(statement, values)
            if found:
                return int(found[0][0])
        raise RuntimeError("the duty group's contact could not be created")

    def _row(self, at: Any) -> dict[str, Any]:
        return {
            "channel": CHANNEL,
            "external_id": self.chat_id,
            "locale": self.locale,
            "locale_chosen": False,
            "privacy_noticed_at": at,
            "broadcast_opt_in": False,
            "reachable": True,
            "created_at": at,
        }


async def audit(
    conn: AsyncConnection,
    *,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, str | int],
    now: datetime,
) -> None:
    """An audit entry written by the bot (no officer); flat, with no personal data."""
    await conn.execute(
        audit_log.insert().values(
            officer_id=None,
            actor=actor[:64],
            action=action,
            target=target,
            detail=json.dumps(detail, sort_keys=True),
            created_at=now,
        )
    )
