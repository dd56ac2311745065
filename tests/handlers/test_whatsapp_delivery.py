"""WhatsApp sending: officer replies, the 24-hour window and its templates, status
webhooks, pacing and Graph's errors. Same fakes as `test_whatsapp`."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import whatsapp_from
from bot.domain.channel import Throttled
from bot.domain.clock import ManualClock
from bot.domain.messages import Choice, Outbound
from bot.domain.references import REFERENCE_PATTERN
from bot.handlers.whatsapp.channel import WhatsAppChannel
from bot.outbox.queue import enqueue
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import contacts, dead_letters, inbound_events, outbox
from tests.conftest import ADMIN_PASSWORD
from tests.handlers.test_whatsapp import BSUID, WA_ID
from tests.support.fake_whatsapp import (
    TIMESTAMP,
    FakeGraphAPI,
    Scripted,
    notification,
    shown_text,
    status,
)
from tests.support.journeys import DESCRIPTION
from tests.support.outbox import settle
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

REPLY_TEMPLATE = "pintu_balasan_petugas"
UPDATE_TEMPLATE = "pintu_pembaruan_laporan"
DAY_AND_AN_HOUR = 25 * 3600


@pytest.fixture
def templates() -> dict[str, Any]:
    """Template settings; tests without templates override this with {}."""
    return {"whatsapp_reply_template": REPLY_TEMPLATE, "whatsapp_update_template": UPDATE_TEMPLATE}


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphAPI, templates: dict[str, Any]) -> Settings:
    return whatsapp_settings(settings, graph, **templates)


@pytest.fixture
def siti(client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime) -> WhatsAppCitizen:
    return WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=WA_ID)


@pytest.fixture
async def officer(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client)


async def login(client: httpx.AsyncClient) -> dict[str, str]:
    """An admin's headers (log in again after moving the clock: tokens last 8 hours)."""
    response = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def file_complaint(siti: WhatsAppCitizen) -> str:
    await siti.say("pengaduan")
    await siti.say("perilaku petugas")
    await siti.say(DESCRIPTION)
    await siti.say("lewati")
    await siti.say("tidak")
    await siti.say("tidak")  # not confidential either
    found = REFERENCE_PATTERN.search("\n".join(await siti.say("kirim")))
    assert found
    return found.group(0)


async def reply(
    client: httpx.AsyncClient, officer: dict[str, str], ref: str, text: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/cases/{ref}/replies", json={"text": text}, headers=officer
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def timeline_status(client: httpx.AsyncClient, officer: dict[str, str], ref: str) -> str:
    """The delivery status of the newest officer reply, as officers see it."""
    case = (await client.get(f"/api/v1/cases/{ref}", headers=officer)).json()
    replies = [m for m in case["messages"] if m["direction"] == "out"]
    return str(replies[-1]["delivery_status"])


async def report(siti: WhatsAppCitizen, message_id: str, state: str, **extra: Any) -> None:
    response = await siti.post(notification(statuses=[status(message_id, state, **extra)]))
    assert response.status_code == 200
    await settle(siti.runtime)


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


# -- inside the window ----------------------------------------------------------------------


async def test_officer_reply_goes_as_text_and_status_webhooks_advance_it(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    stored = await reply(client, officer, ref, "Mohon datang ke *Polres* besok pukul 09.00.")
    assert stored["delivery_status"] == "queued"
    await settle(siti.runtime)
    [sent] = siti.new_texts()
    assert ref in sent
    assert "Mohon datang ke *Polres* besok pukul 09.00." in sent
    assert await timeline_status(client, officer, ref) == "sent"
    wamid = graph.last_id()
    await report(siti, wamid, "delivered")
    assert await timeline_status(client, officer, ref) == "delivered"
    await report(siti, wamid, "read")
    assert await timeline_status(client, officer, ref) == "read"
    await report(siti, wamid, "sent")  # late and out of order: never goes back
    assert await timeline_status(client, officer, ref) == "read"


async def test_statuses_are_deduplicated_by_id_and_status(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    await reply(client, officer, ref, "Sedang kami periksa.")
    await settle(siti.runtime)
    wamid = graph.last_id()
    payload = notification(
        statuses=[status(wamid, "delivered"), status(wamid, "delivered"), status(wamid, "read")]
    )
    for _ in range(2):
        assert (await siti.post(payload)).status_code == 200
    async with siti.runtime.db.connect() as conn:
        seen = await conn.scalar(
            select(func.count()).where(inbound_events.c.external_id.like(f"status:{wamid}:%"))
        )
    assert seen == 2  # (id, delivered) and (id, read), each once
    assert await timeline_status(client, officer, ref) == "read"


# -- outside the window ----------------------------------------------------------------------


async def test_reply_after_25_hours_goes_as_template_and_the_text_follows_when_the_citizen_writes(
    siti: WhatsAppCitizen,
    client: httpx.AsyncClient,
    officer: dict[str, str],
    graph: FakeGraphAPI,
    clock: ManualClock,
) -> None:
    ref = await file_complaint(siti)
    clock.advance(DAY_AND_AN_HOUR)
    officer = await login(client)
    stored = await reply(client, officer, ref, "Petugas yang bersangkutan sudah kami periksa.")
    assert stored["delivery_status"] == "awaiting_citizen"
    await settle(siti.runtime)
    [template] = siti.received()[-1:]
    assert template["type"] == "template"
    assert template["to"] == f"+{WA_ID}"
    assert template["template"] == {
        "name": REPLY_TEMPLATE,
        "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": ref}]}],
    }
    assert siti.new_texts() == [f"[template {REPLY_TEMPLATE}]"]  # the reply itself waits
    assert await timeline_status(client, officer, ref) == "template_sent"
    await report(siti, graph.last_id(), "delivered")
    assert await timeline_status(client, officer, ref) == "template_delivered"

    answer = await siti.say("Baik, saya baca")
    assert "Petugas yang bersangkutan sudah kami periksa." in answer[0]  # first, then the rest
    assert await timeline_status(client, officer, ref) == "sent"
    text_id = graph.id_of(next(b for b in siti.received() if "bersangkutan" in shown_text(b)))
    await report(siti, text_id, "read")
    assert await timeline_status(client, officer, ref) == "read"


@pytest.mark.parametrize("templates", [{}], ids=["no template configured"])
async def test_reply_after_25_hours_without_template_waits_for_the_citizen(
    siti: WhatsAppCitizen,
    client: httpx.AsyncClient,
    officer: dict[str, str],
    graph: FakeGraphAPI,
    clock: ManualClock,
) -> None:
    ref = await file_complaint(siti)
    before = graph.attempts()
    clock.advance(DAY_AND_AN_HOUR)
    officer = await login(client)
    stored = await reply(client, officer, ref, "Mohon lengkapi kronologinya.")
    assert stored["delivery_status"] == "awaiting_citizen"  # the officer is told at once
    await settle(siti.runtime)
    assert graph.attempts() == before  # nothing is sent: nothing could be
    assert await timeline_status(client, officer, ref) == "awaiting_citizen"
    async with siti.runtime.db.connect() as conn:
        rows = (await conn.execute(select(outbox.c.status).order_by(outbox.c.id))).scalars().all()
    assert rows[-2:] == ["held", "skipped"]  # the reply, and its notice that has no template

    late = siti.message("text", text={"body": "pesan lama"}, timestamp=TIMESTAMP)
    answer = await siti.deliver(siti.notification(late))  # sent 25 hours ago, delivered now
    assert not any("kronologinya" in text for text in answer)  # it opens no window
    answer = await siti.say("halo, ada kabar?")
    assert "Mohon lengkapi kronologinya." in answer[0]
    assert await timeline_status(client, officer, ref) == "sent"


async def test_closing_after_25_hours_is_announced_with_the_update_template(
    siti: WhatsAppCitizen,
    client: httpx.AsyncClient,
    officer: dict[str, str],
    clock: ManualClock,
) -> None:
    ref = await file_complaint(siti)
    clock.advance(DAY_AND_AN_HOUR)
    officer = await login(client)
    response = await client.post(
        f"/api/v1/cases/{ref}/close", json={"resolution": "Sudah ditindak."}, headers=officer
    )
    assert response.status_code == 200
    await settle(siti.runtime)
    assert siti.new_texts() == [f"[template {UPDATE_TEMPLATE}]"]
    [template] = siti.received()[-1:]
    assert template["template"]["name"] == UPDATE_TEMPLATE
    assert template["template"]["components"][0]["parameters"][0]["text"] == ref
    answer = await siti.say("terima kasih")
    assert "Sudah ditindak." in answer[0]


async def test_application_news_after_25_hours_is_announced_with_the_update_template(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    admin = await login(client)
    url = "/api/v1/applications/skck/SKCK/55/XI/2026"
    body = {"status": "Diverifikasi", "applicant_name": "Siti", "birth_date": "1990-08-17"}
    assert (await client.put(url, json=body, headers=admin)).status_code == 201
    await siti.say("status")
    await siti.press("SKCK")
    await siti.say("SKCK/55/XI/2026")
    await siti.say("17-08-1990")
    await siti.press("Ya, kabari saya")
    clock.advance(DAY_AND_AN_HOUR)
    admin = await login(client)
    changed = body | {"status": "Selesai, silakan ambil"}
    assert (await client.put(url, json=changed, headers=admin)).status_code == 200
    await settle(siti.runtime)
    assert siti.new_texts()[-1] == f"[template {UPDATE_TEMPLATE}]"
    [template] = siti.received()[-1:]
    assert template["template"]["components"][0]["parameters"][0]["text"] == "SKCK/55/XI/2026"
    answer = await siti.say("oke")
    assert "Selesai, silakan ambil" in answer[0]


async def test_131047_at_send_time_falls_back_to_the_template(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    graph.fail_next(Scripted(400, 131047, "Re-engagement message", 2494010))
    await reply(client, officer, ref, "Kami sudah menghubungi unit terkait.")
    await settle(siti.runtime)
    assert siti.new_texts() == [f"[template {REPLY_TEMPLATE}]"]
    assert await timeline_status(client, officer, ref) == "template_sent"
    async with siti.runtime.db.connect() as conn:
        held = await conn.scalar(select(func.count()).where(outbox.c.status == "held"))
    assert held == 1
    answer = await siti.say("ya?")
    assert "Kami sudah menghubungi unit terkait." in answer[0]
    assert await count(siti.runtime, dead_letters) == 0


async def test_131047_in_a_status_webhook_holds_the_message_too(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    await reply(client, officer, ref, "Apakah Anda bisa datang besok?")
    await settle(siti.runtime)
    siti.new_texts()
    failed = [{"code": 131047, "title": "Re-engagement message"}]
    await report(siti, graph.last_id(), "failed", errors=failed)
    assert siti.new_texts() == [f"[template {REPLY_TEMPLATE}]"]
    assert await timeline_status(client, officer, ref) == "template_sent"
    answer = await siti.say("maaf baru buka")
    assert "Apakah Anda bisa datang besok?" in answer[0]


# -- failures reported later ------------------------------------------------------------------


async def test_failed_status_marks_the_reply_failed_with_a_dead_letter(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    await reply(client, officer, ref, "Terima kasih atas laporannya.")
    await settle(siti.runtime)
    errors = [{"code": 131049, "title": "This message was not delivered", "message": "x"}]
    await report(siti, graph.last_id(), "failed", errors=errors)
    assert await timeline_status(client, officer, ref) == "failed"
    async with siti.runtime.db.connect() as conn:
        letter = (await conn.execute(select(dead_letters))).one()
    assert letter.reason.startswith("131049")
    assert letter.source.startswith("outbox:whatsapp:")


async def test_undeliverable_status_marks_the_citizen_unreachable(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    await reply(client, officer, ref, "Terima kasih.")
    await settle(siti.runtime)
    await report(
        siti, graph.last_id(), "failed", errors=[{"code": 131026, "title": "Undeliverable"}]
    )
    assert await timeline_status(client, officer, ref) == "undeliverable"
    async with siti.runtime.db.connect() as conn:
        assert await conn.scalar(select(contacts.c.reachable)) is False


async def test_status_for_an_unknown_message_is_recorded_and_ignored(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    await report(siti, "wamid.NOT-OURS", "delivered")
    await report(siti, "wamid.NOT-OURS", "failed", errors=[{"code": 131026}])
    assert await count(runtime, dead_letters) == 0


# -- rate limits and errors at send time --------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "wait"),
    [
        (Scripted(429, 130429, "Rate limit hit"), 1.0),
        (Scripted(400, 4, "Application request limit reached"), 60.0),
        (Scripted(429, 80007, "WABA rate limit"), 60.0),
    ],
    ids=["130429", "4", "80007"],
)
async def test_throttling_errors_wait_and_retry_without_doubling(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, clock: ManualClock, answer: Scripted, wait: float
) -> None:
    graph.fail_next(answer, answer)
    assert await siti.say("halo") == []
    async with siti.runtime.db.connect() as conn:
        due = await conn.scalar(select(func.max(outbox.c.next_attempt_at)))
    assert (due - clock.now()).total_seconds() == pytest.approx(wait)
    for _ in range(2):
        clock.advance(wait)
        await settle(siti.runtime)
    assert len(siti.new_texts()) == 1  # welcome, privacy and menu in one message, once
    assert graph.attempts() == 1 + 2


async def test_131056_backs_off_4_to_the_n_and_slows_that_citizen(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, clock: ManualClock
) -> None:
    pair = Scripted(400, 131056, "(Business Account, Consumer Account) pair rate limit hit")
    graph.fail_next(pair, pair, pair)
    await siti.say("halo")
    waits = []
    for _ in range(3):
        async with siti.runtime.db.connect() as conn:
            due = await conn.scalar(select(func.max(outbox.c.next_attempt_at)))
        waits.append((due - clock.now()).total_seconds())
        clock.advance(waits[-1])
        await settle(siti.runtime)
    assert waits == [1.0, 4.0, 16.0]
    assert len(siti.new_texts()) == 1
    channel = whatsapp_of(siti.runtime)
    bucket = channel.pacer._bucket(BSUID)
    assert bucket.rate < channel.pacer.per_recipient_rate


async def test_5xx_and_timeouts_back_off_and_retry(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, clock: ManualClock
) -> None:
    graph.fail_next(Scripted(500, 2, "Service temporarily unavailable"), Scripted(hang=True))
    await siti.post(siti.notification(siti.message("text", text={"body": "halo"})))
    for _ in range(6):
        await settle(siti.runtime)
        clock.advance(10)
    texts = "\n".join(siti.new_texts())
    # the timed-out send may have arrived too: the outcome of a timeout is unknown
    assert all(part in texts for part in ("Selamat datang", "privasi", "Pilih salah satu"))


async def test_131048_stops_sending_and_alerts_the_admins(
    siti: WhatsAppCitizen,
    graph: FakeGraphAPI,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph.fail_next(Scripted(400, 131048, "Spam rate limit hit"))
    with caplog.at_level(logging.ERROR, logger="bot.handlers.whatsapp.channel"):
        await siti.say("halo")
    assert graph.attempts() == 1  # the rest was not tried: sending is paused
    [alert] = [r for r in caplog.records if "131048" in r.getMessage()]
    assert WA_ID not in alert.getMessage()
    assert BSUID not in alert.getMessage()
    async with siti.runtime.db.connect() as conn:
        letter = (await conn.execute(select(dead_letters))).one()
    assert "131048" in letter.reason
    await siti.say("menu")  # while sending is paused
    clock.advance(60)
    await settle(siti.runtime)
    assert graph.attempts() == 1  # still paused
    channel = whatsapp_of(siti.runtime)
    monkeypatch.setattr(channel, "_monotonic", lambda: 10.0**12)  # an hour later
    async with siti.runtime.db.connect() as conn:
        due = await conn.scalar(select(func.max(outbox.c.next_attempt_at)))
    clock.advance((due - clock.now()).total_seconds())
    await settle(siti.runtime)
    assert len(siti.new_texts()) == 1  # the menu; the welcome is a dead letter


async def test_other_refusals_are_dead_letters_with_the_reason(
    siti: WhatsAppCitizen, client: httpx.AsyncClient, officer: dict[str, str], graph: FakeGraphAPI
) -> None:
    ref = await file_complaint(siti)
    graph.fail_next(Scripted(400, 100, "(#100) Invalid parameter"))
    await reply(client, officer, ref, "Balasan.")
    await settle(siti.runtime)
    assert await timeline_status(client, officer, ref) == "failed"
    async with siti.runtime.db.connect() as conn:
        letter = (await conn.execute(select(dead_letters))).one()
    assert letter.reason == "100 (#100) Invalid parameter"


# -- pacing and long texts ---------------------------------------------------------------------


async def test_default_pair_rate_allows_a_burst_then_one_per_six_seconds(
    settings: Settings,
) -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    channel = whatsapp_from(
        settings.model_copy(
            update={
                "whatsapp_pair_burst": defaults.whatsapp_pair_burst,
                "whatsapp_pair_seconds": defaults.whatsapp_pair_seconds,
            }
        )
    )
    assert channel is not None
    now = [0.0]
    channel.pacer.clock = lambda: now[0]
    for _ in range(40):  # Meta allows bursts of up to 45, borrowed from the pair quota
        await channel.pacer.acquire("citizen")  # a whole conversation's worth, at once
    with pytest.raises(Throttled) as throttled:
        await channel.pacer.acquire("citizen")
    assert throttled.value.retry_after == pytest.approx(6.0)
    await channel.pacer.acquire("someone else")  # others are not held back
    now[0] += 6.0
    await channel.pacer.acquire("citizen")
    await channel.close()


async def test_text_over_4096_characters_is_split(siti: WhatsAppCitizen, runtime: Runtime) -> None:
    await siti.say("halo")
    paragraphs = [f"Paragraf {n}: " + "keterangan " * 150 for n in range(6)]
    long = Outbound(text="\n\n".join(paragraphs), choices=(Choice("ok", "Oke"),), prompt_token="9")
    async with runtime.db.begin() as conn:
        contact_id = await conn.scalar(select(contacts.c.id))
        await enqueue(
            conn, contact_id=contact_id, channel="whatsapp", message=long, now=runtime.clock.now()
        )
    runtime.sender.wake()
    await settle(runtime)
    parts = siti.received()[-3:]
    assert [part["type"] for part in parts] == ["text", "text", "interactive"]
    assert all(len(shown_text(part)) <= 4096 for part in parts)
    assert all(shown_text(part).startswith("Paragraf") for part in parts)  # cut between paragraphs
    assert '"id": "9|ok"' in json.dumps(parts[-1])  # the choice travels with the last part


def whatsapp_of(runtime: Runtime) -> WhatsAppChannel:
    channel = runtime.sender.handlers["whatsapp"]
    assert isinstance(channel, WhatsAppChannel)
    return channel
