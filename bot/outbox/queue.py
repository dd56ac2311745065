"""Putting outbound messages into the outbox, inside the caller's transaction.

A text longer than its channel allows is split here, on paragraph
boundaries, into several rows (the choices travel with the last): each row
is then one platform call, so a send the platform acknowledged is never
repeated when a later part has to be retried.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.messages import Outbound
from bot.storage.direct import Tx
from bot.storage.tables import outbox

URGENT_PRIORITY = 10
NORMAL_PRIORITY = 0


TEXT_LIMITS = {"telegram": 4096, "whatsapp": 4096}

INSERT_ROW = """INSERT INTO outbox (channel, contact_id, case_message_id, payload, priority, status,
attempts, next_attempt_at, created_at) VALUES (:channel, :contact_id, :case_message_id,
:payload, :priority, :status, :attempts, :next_attempt_at, :created_at)"""


async def enqueue(
    conn: AsyncConnection,
    *,
    contact_id: int,
    channel: str,
    message: Outbound,
    now: datetime,
    case_message_id: int | None = None,
) -> None:
    """Add a message to the outbox, inside the caller's transaction (sent after commit)."""
    rows = outbox_rows(
        contact_id=contact_id,
        channel=channel,
        message=message,
        now=now,
        case_message_id=case_message_id,
    )
    await conn.execute(insert(outbox), rows)


def put(
    tx: Tx,
    *,
    contact_id: int,
    channel: str,
    message: Outbound,
    now: datetime,
    case_message_id: int | None = None,
    status: str = "pending",
) -> None:
    """`enqueue` on a `Tx`; `status` "held" keeps the rows for later (`bot.outbox.delivery`)."""
    at = tx.time(now)
    rows = [
        row | {"status": status, "next_attempt_at": at, "created_at": at}
        for row in outbox_rows(
            contact_id=contact_id,
            channel=channel,
            message=message,
            now=now,
            case_message_id=case_message_id,
        )
    ]
    tx.execute_many(INSERT_ROW, rows)
    tx.queued.add(channel)


def outbox_rows(
    *,
    contact_id: int,
    channel: str,
    message: Outbound,
    now: datetime,
    case_message_id: int | None = None,
) -> list[dict[str, Any]]:
    """The outbox rows for one message: one per part when its text is too long."""
    limit = TEXT_LIMITS.get(channel)
    parts = split_text(message.text, limit) if limit else [message.text]
    rows = []
    for number, part in enumerate(parts, 1):
        piece = message if number == len(parts) else replace(message, choices=(), prompt_token=None)
        rows.append(
            {
                "channel": channel,
                "contact_id": contact_id,
                "case_message_id": case_message_id,
                "payload": replace(piece, text=part).to_json(),
                "priority": URGENT_PRIORITY if message.urgent else NORMAL_PRIORITY,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return rows


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word if possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or window.rfind(" ")
        if cut <= limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces
