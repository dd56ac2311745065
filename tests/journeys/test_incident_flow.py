"""The incident report on the web chat: the danger question, loose times, places,
photos, priority and SLA, and the emergency routes of DESIGN §3."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.engine.emergencies import dialable
from bot.outbox.queue import URGENT_PRIORITY
from bot.runtime import Runtime
from bot.storage.tables import alerts, cases, media, outbox
from tests.conftest import ADMIN_PASSWORD
from tests.support.images import jpeg_photo
from tests.support.outbox import settle
from tests.support.web import WebCitizen, texts

ADMIN = {"username": "admin", "password": ADMIN_PASSWORD}
EMERGENCY = "telepon 110 SEKARANG"  # the emergency answer, not 110 mentioned in passing
JPEG = jpeg_photo().data
ACCIDENT = (
    "Motor ditabrak truk pasir, pengendara motor terluka di kaki dan truk kabur ke arah Plaju."
)


async def stored(runtime: Runtime, table: Any = cases) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(select(table).order_by(table.c.id))
        return [dict(row._mapping) for row in rows]


def reference(messages: list[dict[str, Any]]) -> str:
    found = REFERENCE_PATTERN.search(texts(messages))
    assert found, texts(messages)
    return found.group(0)


async def test_accident_reported_earlier_by_buttons_and_typing(
    client: httpx.AsyncClient, citizen: WebCitizen, runtime: Runtime, clock: ManualClock
) -> None:
    asked = await citizen.say("lapor")
    assert "dalam bahaya" in texts(asked)
    await citizen.press("Tidak")
    await citizen.press("Kecelakaan lalu lintas")
    asked = await citizen.press("Sebelumnya")
    assert "Kira-kira kapan" in texts(asked)
    asked = await citizen.say("tadi malam jam 9")
    assert "Di mana" in texts(asked)
    assert [c["id"] for c in asked[-1]["choices"]] == ["_location"]
    await citizen.say("Simpang Jakabaring, depan SPBU")
    await citizen.say(ACCIDENT)
    for _ in range(2):
        assert (await citizen.upload(JPEG)).status_code == 202
        received = await citizen.read()
    assert "Foto 2 dari maksimal 5" in texts(received)
    await citizen.press("Selesai")
    summary = await citizen.give_name()
    shown = texts(summary)
    assert 'Anda menulis: "tadi malam jam 9"' in shown
    assert "26 Nov 2026 21.00" in shown  # the evening before START (27 Nov, 10:00 WIB)
    assert "Simpang Jakabaring" in shown
    assert "Foto: 2 terlampir" in shown
    done = await citizen.press("Kirim")
    ref = reference(done)
    assert ref.startswith("LPR-")
    [case] = await stored(runtime)
    assert case["kind"] == "incident"
    assert case["category"] == "traffic_accident"
    assert case["priority"] == "high"
    assert case["sla_due_at"] == clock.now() + timedelta(hours=2)
    assert case["address"] == "Simpang Jakabaring, depan SPBU"
    assert case["occurred_text"] == "tadi malam jam 9"
    assert case["occurred_at"] is not None
    assert case["occurred_at"].hour == 14  # 21:00 WIB
    assert len([m for m in await stored(runtime, media) if m["case_id"] == case["id"]]) == 2
    assert await stored(runtime, alerts) == []  # nobody in danger: no duty alert
    token = await client.post("/api/v1/auth/token", data=ADMIN)
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    shown = (await client.get(f"/api/v1/cases/{ref}", headers=headers)).json()
    assert shown["kind"] == "incident"
    assert shown["priority"] == "high"
    assert shown["sla_due_at"] == "2026-11-27T05:00:00Z"
    assert shown["occurred"] == {"at": "2026-11-26T14:00:00Z", "words": "tadi malam jam 9"}
    assert shown["location"]["address"] == "Simpang Jakabaring, depan SPBU"
    assert len(shown["attachments"]) == 2


async def test_typed_time_at_the_when_question(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("laporan")
    await citizen.press("Tidak")
    await citizen.press("Pencurian/jambret")
    asked = await citizen.say("kemarin sore")  # typed instead of pressing "Sebelumnya"
    assert "Di mana" in texts(asked)
    await citizen.say("Masjid Agung, Jl. Sudirman")
    await citizen.say("Helm dan HP diambil orang dari motor yang diparkir di halaman masjid.")
    await citizen.press("Lewati")
    summary = await citizen.give_name()
    assert "sekitar" in texts(summary)
    assert "kemarin sore" in texts(summary)
    await citizen.press("Kirim")
    [case] = await stored(runtime)
    assert case["occurred_text"] == "kemarin sore"
    assert case["priority"] == "normal"


async def test_a_browser_shares_its_location(citizen: WebCitizen, runtime: Runtime) -> None:
    await citizen.say("lapor")
    await citizen.press("Tidak")
    await citizen.press("Pencurian/jambret")
    await citizen.press("Sedang/baru terjadi")
    outside = await citizen.post({"location": {"latitude": 91, "longitude": 0}})
    assert outside.status_code == 422
    response = await citizen.post({"location": {"latitude": -2.99, "longitude": 104.76}})
    assert response.status_code == 202, response.text
    asked = await citizen.read()
    assert "Ceritakan" in texts(asked)
    await citizen.say("Tas dirampas dua orang bermotor, mereka kabur ke arah jembatan.")
    await citizen.press("Lewati")
    summary = await citizen.give_name()
    assert "-2.99000, 104.76000" in texts(summary)
    await citizen.press("Kirim")
    [case] = await stored(runtime)
    assert (case["latitude"], case["longitude"]) == (-2.99, 104.76)
    assert case["priority"] == "high"  # happening now


async def test_unparsed_time_is_kept_honestly_in_the_citizen_words(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    await citizen.press("Tidak")
    await citizen.press("Lainnya")
    not_understood = await citizen.say("waktu itu pas hujan")
    assert "belum kami pahami" in texts(not_understood)
    await citizen.press("Sebelumnya")
    await citizen.say("waktu itu pas hujan")
    await citizen.say("Jl. Merdeka 10")
    await citizen.say("Ada orang mencurigakan mengintip rumah-rumah warga.")
    await citizen.press("Lewati")
    summary = await citizen.give_name()
    assert "tidak dapat kami pastikan" in texts(summary)
    await citizen.press("Kirim")
    [case] = await stored(runtime)
    assert case["occurred_at"] is None
    assert case["occurred_text"] == "waktu itu pas hujan"


async def test_someone_in_danger_gets_110_at_once_and_the_duty_desk_is_alerted(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    answer = await citizen.press("Ya, ada bahaya")
    shown = texts(answer)
    assert EMERGENCY in shown
    assert dialable(runtime.duty.desks.default.phone) in shown  # "07115550100": tappable
    ref = reference(answer)
    [case] = await stored(runtime)
    assert case["ref"] == ref
    assert case["priority"] == "urgent"
    assert case["kind"] == "incident"
    [alert] = await stored(runtime, alerts)
    assert alert["case_id"] == case["id"]
    urgent = [row for row in await stored(runtime, outbox) if "110" in row["payload"]]
    assert urgent
    assert all(row["priority"] == URGENT_PRIORITY for row in urgent)
    await citizen.press("Kekerasan/penganiayaan")
    await citizen.press("Sedang/baru terjadi")
    await citizen.say("Pasar 16 Ilir, lantai 2")
    await citizen.say("Dua orang berkelahi membawa pisau, satu orang berdarah.")
    await citizen.press("Lewati")
    await citizen.give_name()
    done = await citizen.press("Kirim")
    assert reference(done) == ref  # the urgent case is completed, not opened twice
    [case] = await stored(runtime)
    assert case["category"] == "violence"
    assert case["priority"] == "urgent"
    assert case["address"] == "Pasar 16 Ilir, lantai 2"


async def test_the_urgent_case_gets_its_place_and_the_nearest_desk_number(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    await citizen.press("Ya, ada bahaya")
    await citizen.press("Kekerasan/penganiayaan")
    await citizen.press("Sedang/baru terjadi")
    palembang = {"latitude": -2.9761, "longitude": 104.7754}
    assert (await citizen.post({"location": palembang})).status_code == 202
    answer = await citizen.read()
    local = runtime.duty.desks.nearest(**palembang)
    assert local.id != runtime.duty.desks.default.id
    assert f"{local.name}, {dialable(local.phone)}" in texts(answer)
    [case] = await stored(runtime)
    assert (case["latitude"], case["longitude"]) == (-2.9761, 104.7754)
    [alert] = await stored(runtime, alerts)
    assert alert["desk"] == local.id  # the alert moved to the desk of the place
    assert alert["location_sent_at"] is None  # no duty group configured: back-office only


async def test_an_emergency_in_a_free_text_step_wins_at_once(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Perilaku petugas")
    answer = await citizen.say("tolong ada perampokan sekarang di rumah saya")
    assert EMERGENCY in texts(answer)
    [case] = await stored(runtime)
    assert case["priority"] == "urgent"
    assert case["description"] == "tolong ada perampokan sekarang di rumah saya"
    assert "Kejadian apa" in texts(answer)  # the incident report goes on after the danger question
    assert len(await stored(runtime, alerts)) == 1


async def test_an_emergency_late_in_a_report_keeps_what_was_told(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    await citizen.press("Tidak")
    await citizen.press("Keributan/tawuran")
    await citizen.press("Sedang/baru terjadi")
    await citizen.say("Lapangan Kambang Iwak")
    answer = await citizen.say("tolong sekarang ada orang ditusuk di sini")
    assert EMERGENCY in texts(answer)
    [case] = await stored(runtime)
    assert case["priority"] == "urgent"
    assert case["address"] == "Lapangan Kambang Iwak"  # the desk knows where at once
    assert "Ceritakan" in texts(answer)  # the report goes on where it was


async def test_a_story_in_the_present_tense_is_no_alarm_but_a_plea_is(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    await citizen.press("Tidak")
    await citizen.press("Kekerasan/penganiayaan")
    await citizen.say("tadi malam jam 11")
    await citizen.say("Gang Lorong Basah")
    story = await citizen.say("ada orang ditusuk waktu ribut di warung")
    assert EMERGENCY not in texts(story)
    assert "foto" in texts(story).lower()  # the story was the answer; the report goes on
    assert await stored(runtime) == []
    await citizen.say("kembali")
    plea = await citizen.say("tolong pelakunya balik lagi bawa parang, ada yang ditusuk")
    assert EMERGENCY in texts(plea)


async def test_a_first_message_in_an_emergency_ends_with_110_and_the_desk_number(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    [answer] = await citizen.say("tolong ada begal di jalan sudirman sekarang")
    welcome, urgent = answer["text"].split("🚨")  # the 110 answer last, where it stays in view
    assert "Selamat datang" in welcome
    assert "Kejadian apa yang ingin Anda laporkan?" in welcome
    assert answer["choices"]  # the report's next question, its buttons below the 110 answer
    assert EMERGENCY in urgent
    assert dialable(runtime.duty.desks.default.phone) in urgent


async def test_a_complaint_that_mentions_a_robbery_stays_a_complaint(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan polisi")
    text = "Laporan perampokan saya bulan lalu belum ada kabar sama sekali dari penyidik."
    answer = await citizen.say(text)
    assert EMERGENCY not in texts(answer)
    assert "foto" in texts(answer).lower()
    assert await stored(runtime) == []


async def test_alarm_words_outside_a_flow_jump_to_the_danger_question(citizen: WebCitizen) -> None:
    await citizen.say("halo")
    answer = await citizen.say("ada begal")
    assert "dalam bahaya" in texts(answer)
    assert EMERGENCY not in texts(answer)


async def test_alarm_words_where_a_button_is_expected_jump_too(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    answer = await citizen.say("ada rampok")
    assert "dalam bahaya" in texts(answer)


async def test_a_past_theft_starts_the_ordinary_report(citizen: WebCitizen) -> None:
    await citizen.say("halo")
    answer = await citizen.say("kemarin motor saya dicuri")
    assert "dalam bahaya" in texts(answer)
    assert EMERGENCY not in texts(answer)


async def test_help_and_tolong_alone_are_no_emergency(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("halo")
    for word in ("help", "tolong"):
        answer = await citizen.say(word)
        assert "dalam bahaya" not in texts(answer)
        assert "SEKARANG" not in texts(answer)
    assert await stored(runtime) == []


async def test_cancelling_after_the_alarm_keeps_the_urgent_case(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    await citizen.press("Ya, ada bahaya")
    answer = await citizen.say("batal")
    assert "tetap terbuka" in texts(answer)
    [case] = await stored(runtime)
    assert case["status"] == "new"
    assert case["priority"] == "urgent"


async def test_a_flooding_citizen_still_gets_the_emergency_answer(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    for n in range(runtime.settings.flood_messages_per_minute + 1):
        await citizen.post({"text": f"pesan {n}"})
    await settle(runtime)
    assert "mohon tunggu sebentar" in texts(await citizen.read())  # slowed down politely
    answer = await citizen.say("tolong ada orang ditusuk sekarang")
    assert EMERGENCY in texts(answer)
    [case] = await stored(runtime)
    assert case["priority"] == "urgent"


async def test_photo_sent_where_text_was_asked_and_text_where_location_was(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("lapor")
    await citizen.press("Tidak")
    await citizen.press("Narkoba")
    await citizen.press("Sedang/baru terjadi")
    too_short = await citizen.say("gg")
    assert "terlalu singkat" in texts(too_short)
    await citizen.say("Gang Sentosa RT 05, Kertapati")
    assert (await citizen.upload(JPEG)).status_code == 202
    answer = await citizen.read()
    assert "teks" in texts(answer).lower() or "tulis" in texts(answer).lower()
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(media))).all() == []  # nothing kept
