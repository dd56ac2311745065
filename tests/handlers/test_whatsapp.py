"""The WhatsApp channel end to end: signed webhooks over HTTP, a fake Graph API on loopback."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.app import whatsapp_from
from bot.domain.references import REFERENCE_PATTERN
from bot.handlers.whatsapp.client import is_media_host
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import cases, contacts, dead_letters, inbound_events, media
from tests.support.fake_whatsapp import (
    VERIFY_TOKEN,
    FakeGraphAPI,
    encode,
    next_message_id,
    notification,
    profile,
    shown_text,
    sign,
    status,
)
from tests.support.images import numbered_jpeg
from tests.support.journeys import DESCRIPTION, PlatformCitizen, file_complaint_on
from tests.support.loopback import running
from tests.support.outbox import settle
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

BSUID = "ID.1349120865530274191"
WA_ID = "6281234567890"
JPEG = numbered_jpeg(0, padding=16_384)


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphAPI) -> Settings:
    return whatsapp_settings(settings, graph)


@pytest.fixture
def siti(client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime) -> WhatsAppCitizen:
    return WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=WA_ID)


async def count(runtime: Runtime, table: Any) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def file_by_buttons(siti: PlatformCitizen) -> str:
    return await file_complaint_on(siti, first="halo")


# -- the verification handshake -----------------------------------------------------------


async def test_verification_handshake_returns_the_challenge_as_plain_text(
    client: httpx.AsyncClient,
) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = await client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
        {},
    ],
    ids=["wrong token", "no token", "wrong mode", "no challenge", "nothing"],
)
async def test_verification_handshake_refuses_anything_else(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 403


# -- signatures ------------------------------------------------------------------------------


async def test_bad_or_missing_signatures_are_403_and_store_nothing(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    payload = siti.notification(siti.message("text", text={"body": "halo"}))
    raw = encode(payload)
    assert (await siti.post(raw, signed=False)).status_code == 403
    for signature in (
        "",
        "sha256=",
        "sha256=" + "0" * 64,
        sign(raw, "another-secret"),
        sign(raw + b" "),
        sign(raw).removeprefix("sha256="),  # no scheme
        "sha1=" + sign(raw).removeprefix("sha256="),
    ):
        response = await siti.post(raw, signature=signature)
        assert response.status_code == 403, signature
    assert await count(runtime, inbound_events) == 0
    assert await count(runtime, contacts) == 0
    assert await count(runtime, dead_letters) == 0
    assert (await siti.post(raw)).status_code == 200  # the same body, signed: accepted


# -- journeys -------------------------------------------------------------------------------


async def test_complaint_by_buttons_and_list(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    ref = await file_by_buttons(siti)
    async with runtime.db.connect() as conn:
        case = (await conn.execute(select(cases))).one()
        contact = (await conn.execute(select(contacts))).one()
    assert case.ref == ref
    assert case.channel == "whatsapp"
    assert case.category == "officer_conduct"
    assert not case.anonymous
    assert (contact.external_id, contact.phone, contact.display_name) == (BSUID, WA_ID, "Siti")
    sent = siti.received()
    assert all(body["to"] == f"+{WA_ID}" for body in sent)
    assert all(body["messaging_product"] == "whatsapp" for body in sent)
    kinds = [body["interactive"]["type"] for body in sent if body["type"] == "interactive"]
    assert "list" in kinds  # the five categories
    assert "button" in kinds
    anonymity = next(b for b in sent if "anonim" in shown_text(b) and b["type"] == "interactive")
    titles = [b["reply"]["title"] for b in anonymity["interactive"]["action"]["buttons"]]
    assert titles == ["1. Ya, anonim", "2. Tidak, pakai nama"]  # the catalog's short form, ≤ 20


async def test_complaint_category_list_has_five_rows_with_prompt_tokens(
    siti: WhatsAppCitizen,
) -> None:
    await siti.say("pengaduan")
    prompt = siti.last_prompt()["interactive"]
    assert prompt["type"] == "list"
    assert "Pengaduan Anda tentang apa?" in prompt["body"]["text"]
    assert prompt["action"]["button"] == "Pilih"
    rows = prompt["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == [
        "1. Pelayanan polisi",  # the number a citizen may type instead
        "2. Perilaku petugas",
        "3. Pelayanan publik",
        "4. Aspirasi & saran",
        "5. Lainnya",
    ]
    token = rows[0]["id"].split("|")[0]
    assert token.isdigit()
    assert [row["id"] for row in rows][:2] == [
        f"{token}|police_service",
        f"{token}|officer_conduct",
    ]
    assert all(len(row["title"]) <= 24 for row in rows)


async def test_complaint_by_typing(siti: WhatsAppCitizen, runtime: Runtime) -> None:
    started = await siti.say("pengaduan")
    assert any("Pengaduan Anda tentang apa?" in text for text in started)
    await siti.say("perilaku petugas")
    await siti.say(DESCRIPTION)
    await siti.say("lewati")
    await siti.say("tidak")
    await siti.say("tidak")  # not confidential either
    done = await siti.say("kirim")
    found = REFERENCE_PATTERN.search("\n".join(done))
    assert found, done
    assert await count(runtime, cases) == 1


async def test_typed_number_picks_a_list_row(siti: WhatsAppCitizen) -> None:
    await siti.say("pengaduan")
    answer = await siti.say("3")
    assert any("Ceritakan apa yang terjadi" in text for text in answer)


async def test_press_on_an_outdated_list_gets_a_note_not_a_second_action(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    await siti.say("pengaduan")
    categories = siti.last_prompt()
    await siti.press("Pelayanan polisi")
    stale = siti.press_message("Pelayanan publik", prompt=categories)
    answer = await siti.deliver(siti.notification(stale))
    assert any("tombol itu sudah tidak berlaku" in text for text in answer)
    assert await count(runtime, cases) == 0


async def test_photo_is_downloaded_at_once_with_the_token_and_kept(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    graph.add_media("1037543291543636", JPEG)
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    await siti.say(DESCRIPTION)
    image = {"id": "1037543291543636", "mime_type": "image/jpeg", "sha256": "x", "caption": ""}
    answer = await siti.send("image", image=image)
    assert any("anonim" in text for text in answer)
    async with runtime.db.connect() as conn:
        row = (await conn.execute(select(media))).one()
    assert row.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert row.size == len(JPEG)
    assert graph.requested("/1037543291543636") == 1
    assert graph.requested("/download/1037543291543636") == 1


async def test_media_that_cannot_be_fetched_or_kept_is_declined_politely(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    graph.add_media("video-1", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, "video/mp4")
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    await siti.say(DESCRIPTION)
    video = await siti.send("video", video={"id": "video-1", "mime_type": "video/mp4"})
    assert any("tidak bisa kami terima" in text for text in video)
    missing = await siti.send("image", image={"id": "gone", "mime_type": "image/jpeg"})
    assert any("tidak bisa kami terima" in text for text in missing)
    assert await count(runtime, media) == 0


async def test_voice_note_where_text_is_expected_gets_a_reprompt(
    siti: WhatsAppCitizen, graph: FakeGraphAPI
) -> None:
    graph.add_media("voice-1", b"OggS" + b"\x00" * 500, "audio/ogg; codecs=opus")
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    answer = await siti.send(
        "audio", audio={"id": "voice-1", "mime_type": "audio/ogg", "voice": True}
    )
    assert any("mengetik teks" in text for text in answer)


async def test_location_is_understood(siti: WhatsAppCitizen) -> None:
    await siti.say("pengaduan")
    await siti.press("Pelayanan publik")
    spot = {"latitude": -2.976, "longitude": 104.775, "name": "Polrestabes", "address": "Palembang"}
    answer = await siti.send("location", location=spot)
    assert any("mengetik teks" in text for text in answer)  # a location, where text is wanted
    outside = await siti.say("batal")
    assert outside
    answer = await siti.send("location", location=spot)
    assert any("belum tahu untuk apa kiriman ini" in text for text in answer)


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("reaction", {"reaction": {"message_id": "wamid.OUT000001", "emoji": "👍"}}),
        ("sticker", {"sticker": {"id": "st-1", "mime_type": "image/webp", "animated": False}}),
        ("unsupported", {"errors": [{"code": 131051, "title": "Message type unknown"}]}),
    ],
)
async def test_reactions_stickers_and_unknown_kinds_get_a_polite_answer(
    siti: WhatsAppCitizen, kind: str, content: dict[str, Any]
) -> None:
    await siti.say("halo")
    answer = await siti.send(kind, **content)
    assert any("belum bisa kami baca" in text for text in answer)


async def test_shared_contact_and_template_button_are_read(siti: WhatsAppCitizen) -> None:
    await siti.say("halo")
    card = [{"name": {"formatted_name": "Budi"}, "phones": [{"phone": "+62 812-0000-1111"}]}]
    answer = await siti.send("contacts", contacts=card)
    assert any("belum tahu untuk apa kiriman ini" in text for text in answer)
    pressed = await siti.send("button", button={"text": "Menu", "payload": "menu"})
    assert any("Pilih salah satu" in text for text in pressed)


async def test_system_messages_are_recorded_and_not_answered(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    changed = {"body": "User changed number", "type": "user_changed_number"}
    assert await siti.send("system", system=changed) == []
    assert await count(runtime, inbound_events) == 1


# -- batches, redelivery, bad input ---------------------------------------------------------------


async def test_one_payload_with_five_messages_and_three_statuses(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    people = [
        WhatsAppCitizen(client, graph, runtime, user_id=f"ID.{n}000", wa_id=f"62811000{n}")
        for n in range(3)
    ]
    for person in people:
        await person.say("halo")
    ids = [f"wamid.OUT{n:06d}" for n in (1, 2, 3)]  # the first three sends, to the first
    first, second, third = people
    payload = notification(
        contacts=[profile(user_id=p.user_id, wa_id=p.wa_id) for p in people],
        messages=[
            first.message("text", text={"body": "pengaduan"}),
            second.message("text", text={"body": "bantuan"}),
            third.message("text", text={"body": "menu"}),
            first.message("text", text={"body": "perilaku petugas"}),
            second.message("text", text={"body": "bahasa"}),
        ],
        statuses=[
            status(ids[0], "delivered", wa_id=first.wa_id),
            status(ids[1], "read", wa_id=first.wa_id),
            status(ids[2], "sent", wa_id=first.wa_id),
        ],
    )
    response = await first.post(payload)
    assert response.status_code == 200
    await settle(runtime)
    assert await count(runtime, inbound_events) == 3 + 5 + 3
    assert any("Ceritakan apa yang terjadi" in text for text in first.new_texts())
    assert any("Cara menggunakan" in text for text in (second.new_texts()))
    assert any("Pilih salah satu" in text for text in third.new_texts())
    assert await count(runtime, dead_letters) == 0


async def test_two_entries_with_several_changes_are_all_handled(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    one = WhatsAppCitizen(client, graph, runtime, user_id="ID.111", wa_id="628111")
    two = WhatsAppCitizen(client, graph, runtime, user_id="ID.222", wa_id="628222")
    first = one.notification(one.message("text", text={"body": "halo"}))
    second = two.notification(two.message("text", text={"body": "halo"}))
    first["entry"].append(second["entry"][0])
    first["entry"][0]["changes"].append({"field": "account_update", "value": {"event": "X"}})
    assert len(await one.deliver(first)) == 1  # welcome, privacy and menu in one message
    assert len(two.new_texts()) == 1
    assert await count(runtime, contacts) == 2


async def test_redelivered_payload_is_processed_once(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    payload = siti.notification(siti.message("text", text={"body": "halo"}))
    first = await siti.post(payload)
    again = await siti.post(payload)
    assert first.status_code == again.status_code == 200
    await settle(runtime)
    assert len(siti.new_texts()) == 1  # welcome, privacy and menu in one message: once
    assert await count(runtime, inbound_events) == 1


async def test_unreadable_payloads_become_dead_letters_with_200(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    for raw in (b"{not json", b"[1,2,3]", b'{"object": "page", "entry": []}', b"\xff\xfe"):
        response = await siti.post(raw)
        assert response.status_code == 200
    assert await count(runtime, dead_letters) == 4


async def test_one_unreadable_message_does_not_stop_the_others(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    nameless = {"id": next_message_id(), "timestamp": "1", "type": "text", "text": {"body": "x"}}
    broken = {"type": "text", "from_user_id": BSUID}  # no id
    payload = notification(
        contacts=[],
        messages=[nameless, broken, siti.message("text", text={"body": "halo"})],
    )
    payload["entry"][0]["changes"][0]["value"]["contacts"] = [
        profile(user_id=BSUID, wa_id=WA_ID),
        profile(user_id="ID.999", wa_id="62999"),
    ]
    answer = await siti.deliver(payload)
    assert len(answer) == 1
    async with runtime.db.connect() as conn:
        letters = (await conn.execute(select(dead_letters))).all()
    assert len(letters) == 2
    assert all(letter.source == "whatsapp:webhook" for letter in letters)
    assert all('"messages"' in letter.payload for letter in letters)  # replayable alone


async def test_updates_for_another_phone_number_are_ignored(
    siti: WhatsAppCitizen, runtime: Runtime
) -> None:
    payload = notification(
        messages=[siti.message("text", text={"body": "halo"})],
        contacts=[profile(user_id=BSUID, wa_id=WA_ID)],
        phone_number_id="999999",
    )
    assert (await siti.post(payload)).status_code == 200
    assert await count(runtime, inbound_events) == 0


# -- identity ---------------------------------------------------------------------------------


async def test_older_payload_without_user_id_then_newer_one_is_the_same_contact(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    old = WhatsAppCitizen(client, graph, runtime, user_id=None, wa_id=WA_ID)
    await old.say("pengaduan")
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(contacts.c.external_id, contacts.c.phone))).one() == (
            WA_ID,
            WA_ID,
        )
    new = WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=WA_ID)
    answer = await new.say("perilaku petugas")  # the flow goes on: same conversation
    assert any("Ceritakan apa yang terjadi" in text for text in answer)
    username_only = WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=None)
    answer = await username_only.say(DESCRIPTION)
    assert any("foto" in text for text in new.new_texts())
    assert answer == []  # still sent to the known phone number, where `new` reads it
    older_again = await old.say("lewati")
    assert any("anonim" in text for text in older_again)
    async with runtime.db.connect() as conn:
        rows = (await conn.execute(select(contacts.c.external_id, contacts.c.phone))).all()
    assert rows == [(BSUID, WA_ID)]


async def test_citizen_without_phone_number_is_answered_by_bsuid(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    username = WhatsAppCitizen(client, graph, runtime, user_id="ID.77000", wa_id=None)
    answer = await username.say("halo")
    assert len(answer) == 1
    assert all(body["recipient"] == "ID.77000" and "to" not in body for body in username.received())


async def test_a_phone_number_that_changed_hands_stays_with_its_new_owner(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    before = WhatsAppCitizen(client, graph, runtime, user_id="ID.1111", wa_id=WA_ID)
    await before.say("halo")
    after = WhatsAppCitizen(client, graph, runtime, user_id="ID.2222", wa_id=WA_ID)
    await after.say("halo")
    async with runtime.db.connect() as conn:
        rows = (
            await conn.execute(
                select(contacts.c.external_id, contacts.c.phone).order_by(contacts.c.id)
            )
        ).all()
    assert rows == [("ID.1111", None), ("ID.2222", WA_ID)]


# -- configuration -------------------------------------------------------------------------------


def test_whatsapp_is_off_without_a_token_and_needs_the_rest_with_one(settings: Settings) -> None:
    assert whatsapp_from(settings.model_copy(update={"whatsapp_access_token": None})) is None
    partial = settings.model_copy(
        update={"whatsapp_app_secret": None, "whatsapp_verify_token": None}
    )
    with pytest.raises(ValueError, match="PINTU_WHATSAPP_APP_SECRET, PINTU_WHATSAPP_VERIFY_TOKEN"):
        whatsapp_from(partial)


async def test_media_on_a_host_not_allowed_is_never_requested_with_the_token(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    """The download URL Graph names gets the access token: only Meta's media hosts
    over HTTPS, or a host the configuration names, may have it."""
    async with running(FakeGraphAPI()) as elsewhere:
        graph.add_media("photo-1", JPEG)
        graph.media_elsewhere["photo-1"] = elsewhere.url
        elsewhere.add_media("photo-1", JPEG)
        await siti.say("pengaduan")
        await siti.press("Pelayanan publik")
        await siti.say(DESCRIPTION)
        image = {"id": "photo-1", "mime_type": "image/jpeg", "sha256": "x"}
        answer = await siti.send("image", image=image)
    assert any("tidak bisa kami terima" in text for text in answer)
    assert graph.requested("/photo-1") == 1
    assert elsewhere.calls == []
    assert await count(runtime, media) == 0


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&hash=x", True),
        ("https://scontent.xx.fbsbx.com/v/t1/abc", True),
        ("http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", False),
        ("https://lookaside.fbsbx.com.example.org/attachments", False),
        ("https://evilfbsbx.com/attachments", False),
        ("https://user@lookaside.fbsbx.com/attachments", False),
        ("https://graph.facebook.com.attacker.net/x", False),
        ("http://127.0.0.1:8443/download/1", True),  # configured, with its port
        ("http://127.0.0.1:9999/download/1", False),  # another port
        ("https://fake.test/download/1", True),  # configured without a port
        ("ftp://fake.test/download/1", False),
    ],
)
def test_media_hosts(url: str, allowed: bool) -> None:
    assert is_media_host(url, ("127.0.0.1:8443", "fake.test")) is allowed


# -- the body limit before the signature check ---------------------------------------------


async def test_a_body_over_metas_maximum_is_refused_before_it_is_read(
    siti: WhatsAppCitizen, app: FastAPI, runtime: Runtime
) -> None:
    """Meta sends at most 3 MB: anything larger is refused with 413 without reading it
    (declared) or as soon as the limit is passed (streamed); up to it, the signature
    decides as always."""
    limit = runtime.settings.whatsapp_max_body_bytes
    assert 3_000_000 <= limit < 3_500_000
    over = await siti.post(b"{" + b" " * limit + b"}", signed=False)
    assert over.status_code == 413
    assert "larger than" in over.json()["detail"]
    assert (await siti.post(b"{" + b" " * 3_000_000 + b"}", signed=False)).status_code == 403

    chunk, reads, sent = b" " * 65_536, 0, []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1  # an endless stream: only the limit ends it
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/whatsapp",
        "raw_path": b"/webhooks/whatsapp",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 50000),
        "server": ("pintu.test", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert reads * len(chunk) <= limit + len(chunk)
    assert await count(runtime, inbound_events) == 0


async def test_a_photo_nobody_asked_for_is_not_downloaded(
    siti: WhatsAppCitizen, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    """Issue 14: a file is fetched and stored only when the conversation can take one."""
    graph.add_media("1037543291549999", JPEG)
    await siti.say("halo")
    image = {"id": "1037543291549999", "mime_type": "image/jpeg", "sha256": "x", "caption": ""}
    answer = await siti.send("image", image=image)
    assert any("Silakan kirim foto saat diminta" in text for text in answer)
    assert graph.requested("/1037543291549999") == 0
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(media))).all() == []
