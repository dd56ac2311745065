"""The complaint flow on the web chat, from first hello to case reference."""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import cases, contacts, conversations, inbound_events, media
from tests.support.images import jpeg_photo
from tests.support.journeys import DESCRIPTION, file_complaint
from tests.support.outbox import settle
from tests.support.web import NAME, PHONE, WebCitizen, texts


async def stored_cases(runtime: Runtime) -> list[dict[str, object]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(select(cases).order_by(cases.c.id))
        return [dict(row._mapping) for row in rows]


async def test_first_message_is_answered_at_once_with_privacy_note_and_menu(
    citizen: WebCitizen,
) -> None:
    answer = await citizen.say("halo")
    said = texts(answer)
    assert "Selamat datang" in said
    assert "privasi" in said  # the one-line privacy note and the word to read more
    assert len(answer) == 1  # welcome, privacy note and menu: one message
    assert [c["label"] for c in answer[-1]["choices"]][:1] == ["1. Pengaduan"]  # "1" works too


async def test_complaint_by_buttons_gets_reference_and_next_steps(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    assert ref.startswith("PGD-")
    assert "3 hari kerja" in citizen.inbox[-1]["text"]
    assert "27 Nov 2026" in citizen.inbox[-1]["text"] or "Nov 2026" in citizen.inbox[-1]["text"]
    [case] = await stored_cases(runtime)
    assert case["ref"] == ref
    assert case["kind"] == "complaint"
    assert case["status"] == "new"
    assert case["category"] == "officer_conduct"
    assert case["description"] == DESCRIPTION
    assert case["anonymous"] is False
    assert case["channel"] == "web"


async def test_a_named_web_citizen_gives_a_name_and_phone_the_office_sees(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Perilaku petugas")
    await citizen.say(DESCRIPTION)
    await citizen.press("Lewati")
    confidential = await citizen.press("Tidak, tampilkan nama saya")
    assert "dirahasiakan" in texts(confidential)  # a complaint about an officer
    asked = await citizen.press("Tidak perlu")
    assert "Boleh kami tahu nama Bapak/Ibu?" in texts(asked)
    await citizen.say(NAME)
    summary = await citizen.say(PHONE)
    assert f"Nama: {NAME}" in texts(summary)
    assert "Nomor HP: 081234567890" in texts(summary)
    await citizen.press("Kirim")
    async with runtime.db.connect() as conn:
        contact = (await conn.execute(select(contacts))).one()
    assert (contact.display_name, contact.phone) == (NAME, "081234567890")


async def test_an_anonymous_web_citizen_is_not_asked_a_name(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Perilaku petugas")
    await citizen.say(DESCRIPTION)
    await citizen.press("Lewati")
    asked = await citizen.press("Ya, anonim")
    # Confidential is offered beside anonymous for a complaint about an officer, explained.
    assert "isi laporan hanya dapat dibaca oleh pimpinan unit" in texts(asked)
    assert [c["label"] for c in asked[-1]["choices"]] == ["1. Ya, rahasiakan", "2. Tidak perlu"]
    summary = await citizen.press("Ya, rahasiakan")
    assert "Kirim sekarang?" in texts(summary)
    assert "Rahasia: Ya, rahasiakan" in texts(summary)
    assert "nama Bapak/Ibu" not in texts(summary)
    await citizen.press("Kirim")
    async with runtime.db.connect() as conn:
        contact = (await conn.execute(select(contacts))).one()
        case = (await conn.execute(select(cases))).one()
    assert (contact.display_name, contact.phone) == (None, None)
    assert (case.anonymous, case.confidential) == (True, True)


async def test_complaint_by_typing_with_typos_numbers_and_words(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    started = await citizen.say("mau lapor pengaduan")
    assert "Pengaduan Anda tentang apa?" in texts(started)
    await citizen.say("4")  # the fourth option: aspirasi
    await citizen.say("Tolong tambah jam layanan SKCK di hari Sabtu supaya pekerja bisa datang.")
    await citizen.say("lewati")
    summary = await citizen.say("ya")
    assert "Aspirasi & saran" in texts(summary)
    assert "Ya, anonim" in texts(summary)
    done = await citizen.say("kirim")
    assert REFERENCE_PATTERN.search(texts(done))
    [case] = await stored_cases(runtime)
    assert case["category"] == "aspiration"
    assert case["anonymous"] is True


@pytest.mark.parametrize(
    "phrase", ["pengadun", "complain", "saya mau mengadu soal pelayanan", "/pengaduan@pintu_bot"]
)
async def test_misspelt_and_loose_requests_reach_the_complaint_flow(
    citizen: WebCitizen, phrase: str
) -> None:
    await citizen.say("halo")
    answer = await citizen.say(phrase)
    labels = [choice["label"] for choice in answer[-1]["choices"]]
    assert "2. Perilaku petugas" in labels or "2. Officer conduct" in labels, phrase


async def test_english_writer_is_answered_in_english(citizen: WebCitizen) -> None:
    answer = await citizen.say("Hello, I want to file a complaint please")
    said = texts(answer)
    assert "Welcome" in said
    assert "What is your complaint about?" in said


async def test_cancel_in_the_middle_stores_nothing(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    cancelled = await citizen.say("batal")
    assert "Dibatalkan" in texts(cancelled)
    assert await stored_cases(runtime) == []
    # the menu comes back and works
    again = await citizen.press("Pengaduan")
    assert "Pengaduan Anda tentang apa?" in texts(again)


async def test_back_returns_to_the_previous_question_keeping_answers(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    back = await citizen.say("kembali")
    assert "Pengaduan Anda tentang apa?" in texts(back)
    await citizen.press("Perilaku petugas")
    await citizen.say(DESCRIPTION)
    back = await citizen.say("/kembali")
    assert "Ceritakan apa yang terjadi" in texts(back)
    await citizen.say(DESCRIPTION + " Ditambah keterangan.")
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim")
    summary = await citizen.press("Tidak perlu")
    assert "Ditambah keterangan" in texts(summary)
    back = await citizen.say("kembali")  # from the summary to the last question
    assert "dirahasiakan" in texts(back)
    back = await citizen.say("kembali")
    assert "tanpa nama (anonim)" in texts(back)
    back = await citizen.say("kembali")
    assert "foto" in texts(back).lower()


async def test_back_at_the_first_question_returns_to_the_menu(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    back = await citizen.say("kembali")
    assert "menu utama" in texts(back)
    assert back[-1]["choices"]


async def test_edit_from_summary_changes_one_answer(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    await citizen.say(DESCRIPTION)
    await citizen.press("Lewati")
    await citizen.press("Tidak, tampilkan nama saya")
    await citizen.give_name()
    which = await citizen.press("Ubah")
    labels = [c["label"] for c in which[-1]["choices"]]
    assert labels == [
        "1. Kategori",
        "2. Uraian",
        "3. Foto",
        "4. Anonim",
        "5. Nama",
        "6. Nomor HP",
    ]
    await citizen.press("Anonim")
    summary = await citizen.press("Ya, anonim")
    assert "Kirim sekarang?" in texts(summary)  # straight back to the summary
    await citizen.press("Kirim")
    [case] = await stored_cases(runtime)
    assert case["anonymous"] is True
    assert case["category"] == "police_service"


async def test_invalid_input_at_each_step_gets_a_clear_reprompt(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    wrong = await citizen.say("pisang goreng")
    assert "pilih salah satu" in texts(wrong)
    assert "Pengaduan Anda tentang apa?" in texts(wrong)
    await citizen.press("Pelayanan polisi")
    short = await citizen.say("jelek")
    assert "terlalu singkat" in texts(short)
    too_long = await citizen.say("x" * 4001)
    assert "terlalu panjang" in texts(too_long)
    await citizen.say(DESCRIPTION)
    text_for_photo = await citizen.say("fotonya nanti saya kirim")
    assert "Lewati" in texts(text_for_photo)
    await citizen.press("Lewati")
    await citizen.say("mungkin")
    assert "pilih salah satu" in texts(citizen.inbox[-2:])
    await citizen.press("Ya, anonim")
    nonsense = await citizen.say("hmm")
    assert "Kirim sekarang?" in texts(nonsense)
    assert await stored_cases(runtime) == []


async def test_photo_is_stored_hashed_and_linked_to_the_case(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)
    jpeg = jpeg_photo().data
    response = await citizen.upload(jpeg)
    assert response.status_code == 202, response.text
    summary = await citizen.read()
    assert "anonim" in texts(summary)
    await citizen.press("Tidak, tampilkan nama saya")
    await citizen.give_name()
    await citizen.press("Kirim")
    async with runtime.db.connect() as conn:
        [row] = (await conn.execute(select(media))).all()
    assert row.case_id is not None
    assert row.size == len(jpeg)
    assert row.sha256 == hashlib.sha256(jpeg).hexdigest()


async def test_file_that_is_not_a_photo_is_refused_and_the_flow_continues(
    citizen: WebCitizen,
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)
    response = await citizen.upload(b"MZ\x90\x00 this is an executable")
    assert response.status_code == 422
    assert "not accepted" in response.json()["detail"]
    skipped = await citizen.press("Lewati")
    assert "anonim" in texts(skipped)


async def test_restart_in_the_middle_of_a_flow_keeps_the_form(
    settings: Settings, clock: ManualClock
) -> None:
    async def open_app() -> tuple[FastAPI, httpx.AsyncClient]:
        app = create_app(settings, clock=clock)
        return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    first, http = await open_app()
    async with first.router.lifespan_context(first), http:
        citizen = await WebCitizen.open(http)
        await citizen.say("pengaduan")
        await citizen.press("Perilaku petugas")
        await citizen.say(DESCRIPTION)
        token = citizen.token
    second, http = await open_app()
    async with second.router.lifespan_context(second), http:
        citizen = WebCitizen(http=http, token=token)
        await citizen.read(wait=0)
        await citizen.say("lewati")
        await citizen.say("tidak")
        await citizen.say("tidak")  # not confidential either
        summary = await citizen.give_name()
        assert DESCRIPTION in texts(summary)
        done = await citizen.say("kirim")
        assert REFERENCE_PATTERN.search(texts(done))


async def test_stale_button_is_not_acted_on_twice(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("pengaduan")
    category_prompt = citizen.last_prompt()
    await citizen.press("Pelayanan polisi")
    stale = await citizen.post(
        {"choice_id": "public_service", "prompt_token": category_prompt["prompt_token"]}
    )
    assert stale.status_code == 202
    answer = await citizen.read()
    [note] = answer  # a short note and the question asked now, in one message
    assert "tombol itu sudah tidak berlaku" in note["text"]
    assert "Ceritakan apa yang terjadi" in note["text"]


async def test_redelivered_message_is_processed_once(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    body = {"client_id": "same-message-0001", "text": DESCRIPTION}
    first = await citizen.post(dict(body))
    again = await citizen.post(dict(body))
    assert first.json() == {"accepted": True, "duplicate": False}
    assert again.json() == {"accepted": True, "duplicate": True}
    answer = await citizen.read()
    assert texts(answer).count("Ada foto pendukung?") == 1


async def test_language_switch_in_the_middle_keeps_the_step(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    choose = await citizen.say("bahasa")
    assert [c["label"] for c in choose[-1]["choices"]] == ["1. Bahasa Indonesia", "2. English"]
    switched = await citizen.press("English")
    assert "continue in English" in texts(switched)
    assert "Tell us what happened" in texts(switched)
    direct = await citizen.say("bahasa indonesia")
    assert "Ceritakan apa yang terjadi" in texts(direct)


async def test_help_in_a_flow_explains_and_repeats_the_question(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    helped = await citizen.say("bantuan")
    assert "kembali" in texts(helped)
    assert "Pengaduan Anda tentang apa?" in texts(helped)


async def test_free_text_step_takes_text_that_looks_like_a_command(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    await citizen.say("menu pelayanan di kantor tidak jelas, bantuan petugas juga kurang ramah")
    assert "Ada foto pendukung?" in texts(citizen.inbox[-1:])


async def test_stop_opts_out_of_broadcasts_at_once(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("halo")
    stopped = await citizen.say("berhenti")
    assert "tidak akan menerima survei" in texts(stopped)
    async with runtime.db.connect() as conn:
        row = (await conn.execute(select(contacts))).one()
    assert row.broadcast_opt_in is False
    assert row.broadcast_opted_out_at is not None


async def test_idle_flow_expires_with_a_note(
    citizen: WebCitizen, runtime: Runtime, clock: ManualClock
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    clock.advance(runtime.settings.conversation_idle_seconds - 60)
    assert await runtime.runner.expire_idle(runtime.settings.conversation_idle_seconds) == 0
    clock.advance(120)
    assert await runtime.runner.expire_idle(runtime.settings.conversation_idle_seconds) == 1
    note = await citizen.read()
    assert "lama tidak ada balasan" in texts(note)
    answer = await citizen.say(DESCRIPTION)  # no longer inside the form
    assert "Ada foto pendukung?" not in texts(answer)


async def test_message_after_idle_gap_restarts_politely(
    citizen: WebCitizen, runtime: Runtime, clock: ManualClock
) -> None:
    await citizen.say("pengaduan")
    clock.advance(runtime.settings.conversation_idle_seconds + 1)
    answer = await citizen.say("2")
    assert "lama tidak ada balasan" in texts(answer)


async def test_concurrent_messages_from_one_citizen_never_interleave(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("menu")
    before = json.loads(await _state(runtime))["prompt_token"]
    responses = await asyncio.gather(*(citizen.post({"text": "menu"}) for _ in range(8)))
    assert all(r.status_code == 202 for r in responses)
    after = json.loads(await _state(runtime))["prompt_token"]
    assert int(after) - int(before) == 8  # every turn saw the previous one's state


async def _state(runtime: Runtime) -> str:
    async with runtime.db.connect() as conn:
        raw: str = await conn.scalar(select(conversations.c.state))
    return raw


async def test_flooding_citizen_is_slowed_down_without_losing_messages(
    citizen: WebCitizen, runtime: Runtime, clock: ManualClock
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    limit = runtime.settings.flood_messages_per_minute
    for n in range(limit - 2):
        await citizen.post({"text": "menu"} if n % 2 else {"text": "bantuan"})
    await settle(runtime)
    await citizen.read(wait=0)
    flood = [await citizen.post({"text": f"halo {n}"}) for n in range(5)]
    assert all(response.status_code == 202 for response in flood)
    await settle(runtime)
    held = await citizen.read(wait=0)
    assert [m["text"] for m in held] == [held[0]["text"]]
    assert "banyak sekali" in held[0]["text"]
    async with runtime.db.connect() as conn:
        recorded = await conn.scalar(select(func.count()).select_from(inbound_events))
    assert recorded == limit + 5  # every message kept
    clock.advance(61)
    answer = await citizen.say("pengaduan")
    assert "Pengaduan Anda tentang apa?" in texts(answer)


async def test_a_question_asked_again_keeps_its_earlier_buttons(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    earlier = citizen.last_prompt()
    again = await citizen.say("ya")  # no category: asked again
    assert "Pengaduan Anda tentang apa?" in texts(again)
    pressed = await citizen.post(
        {"choice_id": "officer_conduct", "prompt_token": earlier["prompt_token"]}
    )
    assert pressed.status_code == 202
    answer = await citizen.read()
    assert "tidak berlaku" not in texts(answer)
    assert "Ceritakan apa yang terjadi" in texts(answer)
