"""A phone photo sent on Telegram as a file — the way that keeps its Exif —
in an anonymous complaint: fetched from the Bot API, hashed, sealed; officers
get the copy without GPS or device, and the hash of what Telegram delivered."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.support.fake_telegram import FakeBotAPI, message_update
from tests.support.images import IDENTIFYING, jpeg_photo
from tests.support.journeys import DESCRIPTION
from tests.support.telegram_citizen import (
    TelegramCitizen,
    next_update_id,
    telegram_settings,
)

CHAT = 5550077


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api)


async def test_a_photo_sent_as_a_file_reaches_officers_without_its_metadata(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    photo = jpeg_photo()
    fake_api.add_file("doc-1", photo.data)
    siti = TelegramCitizen(client, fake_api, runtime, CHAT)
    await siti.say("/pengaduan")
    await siti.press("Perilaku petugas")
    await siti.say(DESCRIPTION)
    document = {
        "file_id": "doc-1",
        "file_unique_id": "doc-1-u",
        "file_name": "IMG_20261127_101500.jpg",
        "mime_type": "image/jpeg",
        "file_size": len(photo.data),
    }
    await siti.send(message_update(next_update_id(), CHAT, document=document))
    await siti.press("Ya, anonim")
    await siti.press("Tidak perlu")  # not confidential
    done = await siti.press("Kirim")
    found = REFERENCE_PATTERN.search("\n".join(done))
    assert found, done
    token = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    case = (await client.get(f"/api/v1/cases/{found.group(0)}", headers=headers)).json()
    [listed] = case["attachments"]
    response = await client.get(listed["download_url"], headers=headers)

    original = hashlib.sha256(photo.data).hexdigest()
    assert listed["sha256"] is None  # anonymous: a keyed hash instead
    assert listed["evidence_hash"] not in (None, original)
    assert response.status_code == 200
    assert response.content == photo.clean
    assert all(word not in response.content for word in IDENTIFYING)
    assert response.headers["x-evidence-hash"] == listed["evidence_hash"]
