"""The duty desk with its Telegram group: alert, acknowledge, re-send and escalate, locate."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.engine.emergencies import dialable
from bot.outbox.queue import URGENT_PRIORITY
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.direct import Tx
from bot.storage.tables import audit_log, contacts, conversations, inbound_events, outbox
from tests.conftest import ADMIN_PASSWORD, START
from tests.support.duty import (
    GROUP,
    OTHER_OFFICER,
    PALEMBANG,
    ack_button,
    alert_of,
    group_membership,
    group_press,
    group_text,
    in_tx,
    next_update_id,
    open_urgent_case,
)
from tests.support.fake_telegram import FakeBotAPI, message_update
from tests.support.outbox import settle
from tests.support.telegram_citizen import SECRET, TelegramCitizen, telegram_settings

CITIZEN_CHAT = 5550077


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api, duty_telegram_chat_id=str(GROUP))


async def post(client: httpx.AsyncClient, update: dict[str, Any]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/webhooks/telegram", json=update, headers=headers)
    assert response.status_code == 200, response.text


def group_messages(api: FakeBotAPI) -> list[dict[str, Any]]:
    return [params for params in api.sent() if int(params["chat_id"]) == GROUP]


async def rows(runtime: Runtime, statement: Any) -> list[Any]:
    async with runtime.db.connect() as conn:
        return list((await conn.execute(statement)).all())


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_alert_reaches_the_duty_group_at_once_with_one_button(
    runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    await settle(runtime)
    [alert] = group_messages(fake_api)
    assert f"LAPORAN DARURAT {ref}" in alert["text"]
    assert "Kategori: Kekerasan/penganiayaan" in alert["text"]
    assert "27 Nov 2026 10.00 WIB" in alert["text"]  # 03:00 UTC in Asia/Jakarta
    assert "Lokasi: belum dibagikan" in alert["text"]
    assert "SPKT Polda Sumsel" in alert["text"]  # the default desk until a place is known
    label, data = ack_button(alert)
    assert label == "✅ Terima / Acknowledge"
    stored = await alert_of(runtime, case_id)
    assert data == f"duty|ack:{stored.id}"
    assert stored.desk == "polda-sumsel"
    assert stored.sends == 1
    assert stored.escalation_level == 0
    assert stored.next_send_at == START.replace(minute=3)  # after duty_ack_seconds (180)
    [(priority,)] = await rows(runtime, select(outbox.c.priority))
    assert priority == URGENT_PRIORITY
    # the group is a contact to address, not a citizen: no conversation, no broadcasts
    [group] = await rows(runtime, select(contacts).where(contacts.c.external_id == str(GROUP)))
    assert group.broadcast_opt_in is False
    assert await count(runtime, conversations) == 0


async def test_raising_twice_for_one_case_alerts_once(
    runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    case_id, ref = await open_urgent_case(runtime)

    def again(tx: Tx) -> None:
        runtime.duty.raise_alert(
            tx, case_id=case_id, ref=ref, category="violence", now=runtime.clock.now()
        )

    await in_tx(runtime, again)
    await settle(runtime)
    assert len(group_messages(fake_api)) == 1
    assert (await alert_of(runtime, case_id)).sends == 1


async def test_a_press_acknowledges_edits_the_alert_and_a_second_press_is_told(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    await settle(runtime)
    [alert] = group_messages(fake_api)
    _label, data = ack_button(alert)
    clock.advance(42)
    first = group_press(next_update_id(), data, alert)
    await post(client, first)

    stored = await alert_of(runtime, case_id)
    assert stored.acknowledged_by == "Budi Santoso"
    assert stored.acknowledged_at == clock.now()
    assert stored.next_send_at is None
    [answer] = fake_api.sent("answerCallbackQuery")
    assert answer["callback_query_id"] == first["callback_query"]["id"]
    assert ref in answer["text"]
    [edit] = fake_api.sent("editMessageText")
    assert int(edit["chat_id"]) == GROUP
    assert "✅ Diterima oleh Budi Santoso, 27 Nov 2026 10.00 WIB" in edit["text"]
    assert ref in edit["text"]
    assert "reply_markup" not in edit  # the button is gone

    await post(client, group_press(next_update_id(), data, alert, OTHER_OFFICER))
    second = fake_api.sent("answerCallbackQuery")[-1]
    assert "sudah diterima oleh Budi Santoso" in second["text"]
    assert (await alert_of(runtime, case_id)).acknowledged_by == "Budi Santoso"

    await post(client, first)  # Telegram redelivers the first press: nothing changes
    assert (await alert_of(runtime, case_id)).acknowledged_at == stored.acknowledged_at
    await settle(runtime)
    assert len(group_messages(fake_api)) == 1  # nobody was sent a reply
    audited = await rows(runtime, select(audit_log).where(audit_log.c.action == "alert.ack"))
    assert [(entry.actor, entry.target) for entry in audited] == [("telegram:Budi Santoso", ref)]
    assert json.loads(audited[0].detail) == {"alert_id": stored.id, "via": "telegram"}


async def test_an_unacknowledged_alert_is_sent_again_escalated_until_acknowledged(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    await settle(runtime)
    clock.advance(179)
    assert await runtime.duty.escalate_due() == 0
    clock.advance(1)
    assert await runtime.duty.escalate_due() == 1
    assert await runtime.duty.escalate_due() == 0  # the same moment again: done already
    await settle(runtime)
    first, reminder = group_messages(fake_api)
    assert f"ESKALASI 1: LAPORAN DARURAT {ref}" in reminder["text"]
    assert "sejak 3 menit" in reminder["text"]
    assert ack_button(reminder) == ack_button(first)
    stored = await alert_of(runtime, case_id)
    assert (stored.sends, stored.escalation_level) == (2, 1)
    assert stored.next_send_at == clock.now().replace(minute=6)

    clock.advance(180)
    assert await runtime.duty.escalate_due() == 1
    await settle(runtime)
    assert "ESKALASI 2" in group_messages(fake_api)[-1]["text"]
    assert "sejak 6 menit" in group_messages(fake_api)[-1]["text"]

    await post(client, group_press(next_update_id(), ack_button(reminder)[1], reminder))
    clock.advance(3600)
    assert await runtime.duty.escalate_due() == 0
    await settle(runtime)
    assert len(group_messages(fake_api)) == 3
    escalations = await rows(
        runtime, select(audit_log).where(audit_log.c.action == "alert.escalated")
    )
    assert [json.loads(entry.detail)["level"] for entry in escalations] == [1, 2]
    assert {entry.actor for entry in escalations} == {"pintu"}
    assert {entry.target for entry in escalations} == {ref}


async def test_escalation_stops_after_the_last_re_send(
    runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    case_id, _ref = await open_urgent_case(runtime)
    for _ in range(runtime.duty.max_escalations):
        clock.advance(runtime.settings.duty_ack_seconds)
        assert await runtime.duty.escalate_due() == 1
    clock.advance(runtime.settings.duty_ack_seconds)
    assert await runtime.duty.escalate_due() == 0
    stored = await alert_of(runtime, case_id)
    assert stored.escalation_level == runtime.duty.max_escalations
    assert stored.next_send_at is None
    assert stored.acknowledged_at is None  # still open in the back-office


async def test_a_shared_location_goes_to_the_group_with_a_map_link(
    runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    await settle(runtime)
    clock.advance(30)

    def locate(tx: Tx) -> None:
        runtime.duty.share_location(
            tx,
            case_id=case_id,
            latitude=PALEMBANG[0],
            longitude=PALEMBANG[1],
            address=None,
            now=clock.now(),
        )

    await in_tx(runtime, locate)
    await settle(runtime)
    location = group_messages(fake_api)[-1]
    assert f"Lokasi laporan darurat {ref}" in location["text"]
    assert "Lokasi: -2.976100, 104.775400" in location["text"]
    assert "https://www.google.com/maps?q=-2.976100,104.775400" in location["text"]
    assert "SPKT Polrestabes Palembang" in location["text"]
    stored = await alert_of(runtime, case_id)
    assert stored.desk == "polrestabes-palembang"
    assert stored.location_sent_at == clock.now()

    clock.advance(180)
    await runtime.duty.escalate_due()
    await settle(runtime)
    reminder = group_messages(fake_api)[-1]["text"]
    assert "Lokasi: sudah dikirim" in reminder
    assert "SPKT Polrestabes Palembang" in reminder


async def test_a_typed_address_is_sent_escaped(
    runtime: Runtime, fake_api: FakeBotAPI, clock: ManualClock
) -> None:
    case_id, _ref = await open_urgent_case(runtime, category=None)
    await settle(runtime)

    def locate(tx: Tx) -> None:
        runtime.duty.share_location(
            tx,
            case_id=case_id,
            latitude=None,
            longitude=None,
            address="<b>Jl. Sudirman</b> & Pasar 16",
            now=runtime.clock.now(),
        )

    await in_tx(runtime, locate)
    await settle(runtime)
    first, location = group_messages(fake_api)
    assert "Kategori: belum diketahui" in first["text"]
    assert "&lt;b&gt;Jl. Sudirman&lt;/b&gt; &amp; Pasar 16" in location["text"]
    assert (await alert_of(runtime, case_id)).desk == "polda-sumsel"  # no coordinates
    clock.advance(180)
    await runtime.duty.escalate_due()
    await settle(runtime)
    reminder = group_messages(fake_api)[-1]["text"]
    assert "Kategori: belum diketahui" in reminder  # the case's "unspecified"
    assert "Lokasi: sudah dikirim" in reminder


async def test_location_of_a_case_without_alert_does_nothing(
    runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    await open_urgent_case(runtime)
    await settle(runtime)

    def locate(tx: Tx) -> None:
        runtime.duty.share_location(
            tx, case_id=999_999, latitude=1.0, longitude=2.0, address="x", now=runtime.clock.now()
        )

    await in_tx(runtime, locate)
    await settle(runtime)
    assert len(group_messages(fake_api)) == 1


async def test_other_updates_from_the_group_are_recorded_and_never_answered(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    talk = group_text(next_update_id(), "/start siap, meluncur ke lokasi")
    await post(client, talk)
    await post(client, talk)  # redelivered
    await post(client, group_membership(next_update_id()))
    stray = {"text": "x", "reply_markup": None}
    await post(client, group_press(next_update_id(), "p1|complaint", stray))
    await settle(runtime)
    assert fake_api.sent() == []
    assert fake_api.sent("editMessageText") == []
    [answer] = fake_api.sent("answerCallbackQuery")  # a press is always answered
    assert answer["text"] == "Peringatan ini tidak ditemukan."
    assert await count(runtime, inbound_events) == 3
    assert await count(runtime, contacts) == 0  # nobody became a citizen
    assert await count(runtime, conversations) == 0


async def test_backoffice_acknowledgement_is_audited_and_told_to_the_group(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    await settle(runtime)
    login = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    alert_id = (await alert_of(runtime, case_id)).id
    response = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["acknowledged_by"] == "admin"
    await settle(runtime)
    note = group_messages(fake_api)[-1]
    assert f"{ref} diterima oleh admin lewat back-office" in note["text"]
    assert "reply_markup" not in note or not note["reply_markup"].get("inline_keyboard")

    [alert] = group_messages(fake_api)[:1]
    await post(client, group_press(next_update_id(), ack_button(alert)[1], alert))
    assert "sudah diterima oleh admin" in fake_api.sent("answerCallbackQuery")[-1]["text"]


async def test_a_citizen_in_danger_on_telegram_alerts_the_group_then_its_location_follows(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    siti = TelegramCitizen(client, fake_api, runtime, CITIZEN_CHAT)
    await siti.say("lapor")
    answer = "\n".join(await siti.press("Ya, ada bahaya"))
    assert "110" in answer
    assert dialable(runtime.duty.desks.default.phone) in answer  # "07115550100": tappable
    found = REFERENCE_PATTERN.search(answer)
    assert found
    [alert] = group_messages(fake_api)
    assert f"LAPORAN DARURAT {found.group(0)}" in alert["text"]
    assert "Kategori: belum diketahui" in alert["text"]
    assert "Siti" not in alert["text"]  # nothing about the citizen

    await siti.press("Kekerasan/penganiayaan")
    await siti.press("Sedang/baru terjadi")
    spot = {"latitude": PALEMBANG[0], "longitude": PALEMBANG[1]}
    await siti.send(message_update(next_update_id(), CITIZEN_CHAT, location=spot))
    location = group_messages(fake_api)[-1]
    assert f"Lokasi laporan darurat {found.group(0)}" in location["text"]
    assert "https://www.google.com/maps?q=-2.976100,104.775400" in location["text"]
    assert "SPKT Polrestabes Palembang" in location["text"]
    assert all("LAPORAN DARURAT" not in text for text in fake_api.texts_to(CITIZEN_CHAT))
