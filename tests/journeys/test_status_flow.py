"""The status check on the web chat: application lookups with their wrong turns and
throttle, the offer to be notified, and the citizen's own cases."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.domain.clock import ManualClock
from bot.domain.messages import plain_label
from bot.runtime import Runtime
from bot.storage.tables import case_messages, subscriptions
from tests.conftest import ADMIN_PASSWORD
from tests.support.images import jpeg_photo
from tests.support.journeys import file_complaint
from tests.support.web import WebCitizen, texts

JPEG = jpeg_photo().data
NUMBER = "SKCK/123/XI/2026"
APPLICATION = {
    "status": "Sedang diverifikasi",
    "applicant_name": "Siti Aminah",
    "birth_date": "1990-08-17",
    "note": "Bawa KTP asli ke loket SKCK, Senin-Jumat 08.00-14.00.",
}


async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    data = {"username": "admin", "password": ADMIN_PASSWORD}
    response = await client.post("/api/v1/auth/token", data=data)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def publish(client: httpx.AsyncClient, body: dict[str, Any] = APPLICATION) -> None:
    headers = await admin(client)
    response = await client.put(f"/api/v1/applications/skck/{NUMBER}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text


async def rows(runtime: Runtime, table: Any) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(select(table))]


async def test_lookup_with_wrong_turns_then_notified_of_a_change(
    client: httpx.AsyncClient, citizen: WebCitizen, runtime: Runtime
) -> None:
    await publish(client)
    await citizen.say("status")
    asked = await citizen.press("SKCK")
    assert "nomor permohonan" in texts(asked)
    bad_number = await citizen.say("SKCK 123 ***")
    assert "tidak sesuai format" in texts(bad_number)
    await citizen.say("skck/123/xi/2026")
    bad_date = await citizen.say("17 agst")
    assert "belum terbaca" in texts(bad_date)
    found = await citizen.say("17-08-1990")
    shown = texts(found)
    assert "Sedang diverifikasi" in shown
    assert "Bawa KTP asli" in shown
    assert "kabari" in texts(found[-1:])
    done = await citizen.press("Ya, kabari saya")
    assert "akan mengabari" in texts(done)
    assert len(await rows(runtime, subscriptions)) == 1
    await publish(client, APPLICATION | {"status": "Selesai, dapat diambil"})
    told = await citizen.read()
    assert "Selesai, dapat diambil" in texts(told)


async def test_unknown_number_and_wrong_birth_date_answer_alike(
    client: httpx.AsyncClient, citizen: WebCitizen
) -> None:
    await publish(client)
    answers = []
    for number, born in ((NUMBER, "18-08-1990"), ("SKCK/999/XI/2026", "17-08-1990")):
        await citizen.say("status")
        await citizen.press("SKCK")
        await citizen.say(number)
        answers.append(texts((await citizen.say(born))[:1]))
    assert answers[0] == answers[1]
    assert "tidak menemukan" in answers[0]


async def test_five_failures_pause_lookups_for_the_contact(
    client: httpx.AsyncClient, citizen: WebCitizen, clock: ManualClock
) -> None:
    await publish(client)
    for _ in range(5):
        await citizen.say("status")
        await citizen.press("SKCK")
        await citizen.say(NUMBER)
        await citizen.say("01-01-1990")
        clock.advance(30)
    await citizen.say("status")
    await citizen.press("SKCK")
    await citizen.say(NUMBER)
    paused = await citizen.say("17-08-1990")  # even the right answer waits
    assert "dijeda" in texts(paused)
    assert "Sedang diverifikasi" not in texts(paused)


async def test_my_cases_lists_them_and_adds_information_and_a_photo(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    ref = await file_complaint(citizen)
    await citizen.say("status")
    listed = await citizen.press("Kasus/laporan saya")
    assert ref in texts(listed)
    assert "Diterima" in texts(listed)
    await citizen.press("Tambah info/foto")
    asked = await citizen.read(wait=0.1) or citizen.inbox[-1:]
    assert ref in texts(asked)
    added = await citizen.say("Nama petugasnya Bripka A, loket 2.")
    assert ref in texts(added)
    await citizen.say("status")
    await citizen.press("Kasus/laporan saya")
    await citizen.press("Tambah info/foto")
    assert (await citizen.upload(JPEG)).status_code == 202
    await citizen.read()
    timeline = await rows(runtime, case_messages)
    assert [m["text"] for m in timeline] == ["Nama petugasnya Bripka A, loket 2.", ""]
    assert timeline[1]["media_id"] is not None


async def test_a_free_message_with_one_open_case_joins_it_and_with_two_the_bot_asks(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    first = await file_complaint(citizen)
    added = await citizen.say("Saya ingat, kejadiannya jam 3 sore.")
    assert first in texts(added)
    second = await file_complaint(citizen)
    which = await citizen.say("Tambahan: ada saksi lain di sana.")
    assert "untuk yang mana" in texts(which)
    labels = [plain_label(choice["label"]) for choice in which[-1]["choices"]]
    assert set(labels) == {first, second}
    await citizen.press(first)
    timeline = await rows(runtime, case_messages)
    assert [m["text"] for m in timeline] == [
        "Saya ingat, kejadiannya jam 3 sore.",
        "Tambahan: ada saksi lain di sana.",
    ]


async def test_no_cases_yet_says_so_and_shows_the_menu(citizen: WebCitizen) -> None:
    await citizen.say("status")
    answer = await citizen.press("Kasus/laporan saya")
    assert "belum memiliki" in texts(answer)
    assert answer[-1]["choices"]
