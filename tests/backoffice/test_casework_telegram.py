"""What reaches a citizen on Telegram while officers work the case: notes never,
status news and replies always — on a reopened case too — and canned replies
filled in with the reference and the officer's name, in the citizen's language."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backoffice.officers import Role
from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.support.fake_telegram import FakeBotAPI
from tests.support.journeys import file_complaint_on
from tests.support.office import sign_in
from tests.support.outbox import settle
from tests.support.telegram_citizen import TelegramCitizen, telegram_settings
from tests.support.units import CASES_URL, officer_in

CHAT = 5550123
CANNED_URL = "/api/v1/canned-replies"
THANKS = {
    "title": "Terima kasih, diproses",
    "texts": {
        "id": "Terima kasih. Laporan {ref} sedang ditangani oleh {officer}.",
        "en": "Thank you. Report {ref} is being handled by {officer}.",
    },
}


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api)


@pytest.fixture
def siti(client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime) -> TelegramCitizen:
    return TelegramCitizen(client, fake_api, runtime, CHAT)


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await sign_in(client, "admin", ADMIN_PASSWORD)


async def post(
    client: httpx.AsyncClient, headers: dict[str, str], path: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{CASES_URL}/{path}", json=body, headers=headers)


async def test_notes_never_reach_the_citizen_and_a_reopened_case_takes_replies(
    client: httpx.AsyncClient, siti: TelegramCitizen, runtime: Runtime, admin: dict[str, str]
) -> None:
    ref = await file_complaint_on(siti, first="/start")
    note = await post(client, admin, f"{ref}/notes", {"text": "Catatan internal: cek CCTV."})
    assert note.status_code == 201
    closed = await post(client, admin, f"{ref}/close", {"resolution": "Petugas telah ditegur."})
    assert closed.status_code == 200
    await settle(runtime)
    assert any("sudah selesai ditangani" in text for text in siti.new_texts())

    reopened = await client.patch(
        f"{CASES_URL}/{ref}", json={"status": "in_progress"}, headers=admin
    )
    assert reopened.status_code == 200
    await settle(runtime)
    [news] = siti.new_texts()
    assert f"{ref} Bapak/Ibu kami buka kembali" in news
    answer = await post(client, admin, f"{ref}/replies", {"text": "Kami periksa ulang."})
    assert answer.status_code == 201
    await settle(runtime)
    [reply] = siti.new_texts()
    assert "Kami periksa ulang." in reply

    everything = "\n".join(siti.api.texts_to(CHAT))
    assert "Catatan internal" not in everything
    assert "cek CCTV" not in everything


async def test_a_canned_reply_is_filled_in_and_sent_in_the_citizens_language(
    client: httpx.AsyncClient, siti: TelegramCitizen, runtime: Runtime, admin: dict[str, str]
) -> None:
    created = await client.post(CANNED_URL, json=THANKS, headers=admin)
    assert created.status_code == 201, created.text
    canned_id = created.json()["id"]
    ref = await file_complaint_on(siti, first="/start")
    await siti.say("/language")
    await siti.press("English")
    officer = await officer_in(
        client, runtime, username="kasi", role=Role.SUPERVISOR, unit=None, full_name="Bripka Sari"
    )
    listed = await client.get(CANNED_URL, headers=officer)
    assert [item["title"] for item in listed.json()["items"]] == [THANKS["title"]]

    sent = await post(client, officer, f"{ref}/replies", {"canned_id": canned_id})

    assert sent.status_code == 201, sent.text
    expected = f"Thank you. Report {ref} is being handled by Bripka Sari."
    assert sent.json()["text"] == expected
    await settle(runtime)
    assert any(expected in text for text in siti.new_texts())
    unknown = await post(client, officer, f"{ref}/replies", {"canned_id": 999})
    assert unknown.status_code == 422
    both = await post(client, officer, f"{ref}/replies", {"canned_id": canned_id, "text": "x"})
    assert both.status_code == 422


async def test_admins_keep_the_canned_replies(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = (await client.post(CANNED_URL, json=THANKS, headers=admin)).json()
    url = f"{CANNED_URL}/{created['id']}"
    assert (await client.post(CANNED_URL, json=THANKS, headers=admin)).status_code == 409

    renamed = await client.patch(url, json={"title": "Diproses"}, headers=admin)

    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Diproses"
    assert renamed.json()["texts"] == THANKS["texts"]
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert (await client.delete(url, headers=admin)).status_code == 404
    assert (await client.patch(url, json={"title": "x"}, headers=admin)).status_code == 404
    assert (await client.get(CANNED_URL, headers=admin)).json() == {"items": []}


@pytest.mark.parametrize(
    "texts",
    [
        {"id": "Halo {nama}", "en": "Hello"},
        {"id": "Halo {ref!r}", "en": "Hello"},
        {"id": "Halo {ref:>10}", "en": "Hello"},
        {"id": "Halo {ref.__class__}", "en": "Hello"},
        {"id": "Halo {", "en": "Hello"},
        {"id": "Halo"},
        {"id": "Halo", "en": "Hello", "fr": "Bonjour"},
        {"id": " ", "en": "Hello"},
    ],
)
async def test_a_canned_reply_with_unknown_placeholders_or_languages_is_422(
    client: httpx.AsyncClient, admin: dict[str, str], texts: dict[str, str]
) -> None:
    body = {"title": "x", "texts": texts}
    assert (await client.post(CANNED_URL, json=body, headers=admin)).status_code == 422
