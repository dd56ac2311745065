"""The duty desk under test: urgent cases written as the hot path writes them,
and updates from the duty officers' Telegram group."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select

from bot.domain.references import new_reference
from bot.runtime import Runtime
from bot.storage.direct import Tx
from bot.storage.tables import alerts
from tests.support.fake_telegram import BOT_ID

GROUP = -1001234567890
DUTY_OFFICER = {"id": 4201, "is_bot": False, "first_name": "Budi", "last_name": "Santoso"}
OTHER_OFFICER = {"id": 4202, "is_bot": False, "first_name": "Rina"}
PALEMBANG = (-2.9761, 104.7754)

T = TypeVar("T")
_update_ids = itertools.count(700_000)
_contacts = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


async def in_tx(runtime: Runtime, work: Callable[[Tx], T]) -> T:
    """Run `work` on the hot path's writer, as the runner does, and wake the sender."""
    async with runtime.runner.gate:
        result = await runtime.runner.writer.run(work)
    runtime.sender.wake()
    return result


async def open_urgent_case(
    runtime: Runtime, *, category: str | None = "violence"
) -> tuple[int, str]:
    """An incident case and its duty alert, in one transaction; (case id, reference)."""
    ref = new_reference("LPR")
    now = runtime.clock.now()
    external_id = str(880_000 + next(_contacts))

    def write(tx: Tx) -> int:
        at = tx.time(now)
        [(contact_id,)] = tx.rows(
            """INSERT INTO contacts (channel, external_id, locale, locale_chosen,
            broadcast_opt_in, reachable, created_at) VALUES ('telegram', :external_id, 'id',
            :no, :no, :yes, :now) RETURNING id""",
            {"external_id": external_id, "no": False, "yes": True, "now": at},
        )
        [(case_id,)] = tx.rows(
            """INSERT INTO cases (ref, kind, status, contact_id, channel, anonymous, category,
            description, answers, priority, created_at, updated_at) VALUES (:ref, 'incident',
            'new', :contact_id, 'telegram', :yes, :category, '', '{}', 'urgent', :now, :now)
            RETURNING id""",
            {
                "ref": ref,
                "contact_id": contact_id,
                "yes": True,
                "category": category or "unspecified",  # as the hot path opens it
                "now": at,
            },
        )
        runtime.duty.raise_alert(tx, case_id=case_id, ref=ref, category=category, now=now)
        return int(case_id)

    return await in_tx(runtime, write), ref


async def alert_of(runtime: Runtime, case_id: int) -> Any:
    async with runtime.db.connect() as conn:
        return (await conn.execute(select(alerts).where(alerts.c.case_id == case_id))).one()


def group_press(
    update_id: int, data: str, alert: dict[str, Any], officer: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A duty officer's press on a button of `alert` (the sendMessage params the bot sent)."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": officer or DUTY_OFFICER,
            "chat_instance": "ci-duty",
            "data": data,
            "message": {
                "message_id": 7000 + update_id % 1000,
                "date": 1_790_000_000,
                "chat": {"id": GROUP, "type": "supergroup", "title": "Piket SPKT"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "pintu"},
                "text": alert["text"],
                "reply_markup": alert.get("reply_markup"),
            },
        },
    }


def group_text(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": GROUP, "type": "supergroup", "title": "Piket SPKT"},
            "from": DUTY_OFFICER,
            "text": text,
        },
    }


def group_membership(update_id: int) -> dict[str, Any]:
    """The bot added to the duty group."""
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "pintu"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": {"id": GROUP, "type": "supergroup", "title": "Piket SPKT"},
            "from": DUTY_OFFICER,
            "date": 1_790_000_000,
            "old_chat_member": {"status": "left", "user": bot},
            "new_chat_member": {"status": "member", "user": bot},
        },
    }


def ack_button(alert: dict[str, Any]) -> tuple[str, str]:
    """(label, callback data) of the one button of an alert."""
    [[button]] = alert["reply_markup"]["inline_keyboard"]
    return str(button["text"]), str(button["callback_data"])
