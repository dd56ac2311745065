"""A burst of emergencies from many web-chat sessions (issue 14): every citizen is
answered at once and every case opened, while the duty group gets a few messages
listing all the references, each acknowledgeable, and grouped re-sends."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import alerts, cases, contacts, outbox
from tests.support.duty import GROUP, group_press, next_update_id, open_urgent_case
from tests.support.fake_telegram import FakeBotAPI
from tests.support.outbox import settle
from tests.support.telegram_citizen import SECRET, telegram_settings
from tests.support.web import WebCitizen, texts

SESSIONS = 30
CRY = "tolong ada perampokan sekarang di rumah saya"
WINDOW = 20.0
ACK_SECONDS = 180


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(
        settings,
        fake_api,
        duty_telegram_chat_id=str(GROUP),
        duty_alert_group_seconds=WINDOW,
        duty_alert_max_per_minute=3,
        duty_ack_seconds=ACK_SECONDS,
    )


def group_messages(api: FakeBotAPI) -> list[dict[str, Any]]:
    return [params for params in api.sent() if int(params["chat_id"]) == GROUP]


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    keyboard = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in keyboard for button in row]


async def post(client: httpx.AsyncClient, update: dict[str, Any]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/webhooks/telegram", json=update, headers=headers)
    assert response.status_code == 200, response.text


async def burst(client: httpx.AsyncClient) -> list[str]:
    """`SESSIONS` new web-chat sessions cry for help at once; the reference each is told."""
    citizens = [await WebCitizen.open(client) for _ in range(SESSIONS)]
    answers = await asyncio.gather(*(citizen.say(CRY) for citizen in citizens))
    told = []
    for answer in answers:
        text = texts(answer)
        assert "telepon 110 SEKARANG" in text  # the citizen's own answer is not held back
        found = REFERENCE_PATTERN.search(text)
        assert found is not None
        told.append(found.group(0))
    return told


async def urgent_refs(runtime: Runtime) -> set[str]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(cases.c.ref)
            .join(alerts, alerts.c.case_id == cases.c.id)
            .where(cases.c.priority == "urgent")
        )
        return {row.ref for row in rows}


def listed(messages: list[dict[str, Any]]) -> list[str]:
    return [ref for message in messages for ref in REFERENCE_PATTERN.findall(message["text"])]


async def test_a_burst_of_emergencies_reaches_the_duty_group_in_a_few_messages(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    told = await burst(client)
    assert len(set(told)) == SESSIONS
    assert await urgent_refs(runtime) == set(told)  # every urgent case is opened
    await settle(runtime)
    first = group_messages(fake_api)
    assert len(first) == 1  # the first alert at once; the others wait for the group's turn

    clock.advance(WINDOW / 2)
    await runtime.duty.escalate_due()
    await settle(runtime)
    assert len(group_messages(fake_api)) == 1  # not the group's turn yet

    clock.advance(WINDOW / 2)
    await runtime.duty.escalate_due()
    await settle(runtime)
    announced = group_messages(fake_api)
    assert len(announced) == 2
    assert sorted(listed(announced)) == sorted(told)  # each reference once
    grouped = announced[1]
    assert f"{SESSIONS - 1} LAPORAN DARURAT BARU" in grouped["text"]
    labels = [label for label, _ in buttons(grouped)]
    assert len(labels) == SESSIONS  # one per reference, and one for all
    assert labels[-1] == f"✅ Terima semua ({SESSIONS - 1})"
    async with runtime.db.connect() as conn:
        sends = (await conn.execute(select(alerts.c.sends))).scalars().all()
    assert sorted(sends) == [1] * SESSIONS


async def test_re_sends_of_a_burst_are_grouped_and_acknowledging_works(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    told = await burst(client)
    clock.advance(WINDOW)
    await runtime.duty.escalate_due()
    await settle(runtime)
    single, grouped = group_messages(fake_api)

    # nobody acknowledges: the re-sends take turns too, all due at a turn in one message
    for _ in range(int(ACK_SECONDS / 5) + 4):
        clock.advance(5)
        await runtime.duty.escalate_due()
    await settle(runtime)
    reminders = group_messages(fake_api)[2:]
    assert 1 <= len(reminders) <= 3
    assert sorted(listed(reminders)) == sorted(told)
    assert any("ESKALASI: " in reminder["text"] for reminder in reminders)

    # one reference of the grouped message: that alert only, the other buttons stay
    one_label, one_data = buttons(grouped)[0]
    ref = one_label.removeprefix("✅ Terima ")
    await post(client, group_press(next_update_id(), one_data, grouped))
    await settle(runtime)
    edit = fake_api.sent("editMessageText")[-1]
    assert f"✅ {ref} diterima oleh Budi Santoso" in edit["text"]
    kept = [data for row in edit["reply_markup"]["inline_keyboard"] for data in row]
    assert len(kept) == SESSIONS - 1  # the pressed button is gone

    # "acknowledge all" on the grouped message: the rest of it
    _label, every = buttons(grouped)[-1]
    await post(client, group_press(next_update_id(), every, grouped))
    await settle(runtime)
    note = fake_api.sent("answerCallbackQuery")[-1]["text"]
    assert note == f"Tercatat: Anda menerima {SESSIONS - 2} dari {SESSIONS - 1} laporan."
    assert "reply_markup" not in fake_api.sent("editMessageText")[-1]

    # the single alert's own button
    [(_label, data)] = buttons(single)
    await post(client, group_press(next_update_id(), data, single))
    async with runtime.db.connect() as conn:
        open_alerts = await conn.scalar(
            select(alerts.c.id).where(alerts.c.acknowledged_at.is_(None)).limit(1)
        )
    assert open_alerts is None
    before = len(group_messages(fake_api))
    clock.advance(ACK_SECONDS * 3)
    assert await runtime.duty.escalate_due() == 0  # nothing left to re-send
    await settle(runtime)
    assert len(group_messages(fake_api)) == before


async def test_a_redelivered_acknowledge_all_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    await burst(client)
    clock.advance(WINDOW)
    await runtime.duty.escalate_due()
    await settle(runtime)
    _single, grouped = group_messages(fake_api)
    _label, every = buttons(grouped)[-1]
    press = group_press(next_update_id(), every, grouped)
    await post(client, press)
    clock.advance(30)
    await post(client, press)
    note = fake_api.sent("answerCallbackQuery")[-1]["text"]
    assert note == f"Semua {SESSIONS - 1} laporan ini sudah diterima sebelumnya."
    async with runtime.db.connect() as conn:
        times = set((await conn.execute(select(alerts.c.acknowledged_at))).scalars().all())
    assert len(times) == 2  # the press's moment, and None for the single alert
    assert re.search(r"ackall:\d+$", every)


async def test_two_workers_keep_one_pace(settings: Settings, clock: ManualClock) -> None:
    """The group's turn is taken in the database: two processes raising alerts at once
    still send one message, then one grouped message at the next turn."""
    workers = [create_app(settings, clock=clock) for _ in range(2)]
    async with contextlib.AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(worker.router.lifespan_context(worker))
        runtimes: list[Runtime] = [worker.state.runtime for worker in workers]
        opened = await asyncio.gather(
            *(open_urgent_case(runtimes[n % 2]) for n in range(SESSIONS // 3))
        )
        assert await group_rows(runtimes[0]) == 1
        clock.advance(WINDOW)
        await asyncio.gather(*(runtime.duty.escalate_due() for runtime in runtimes))
        assert await group_rows(runtimes[0]) == 2
        async with runtimes[1].db.connect() as conn:
            told = await conn.scalar(
                select(func.count()).select_from(alerts).where(alerts.c.announced_at.is_not(None))
            )
        assert told == len(opened)


async def group_rows(runtime: Runtime) -> int:
    """Messages queued for the duty group."""
    async with runtime.db.connect() as conn:
        group = select(contacts.c.id).where(contacts.c.external_id == str(GROUP))
        found = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.contact_id.in_(group))
        )
        return int(found or 0)
