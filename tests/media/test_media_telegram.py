"""A phone photo sent on Telegram as a file — the way that keeps its Exif —
in an anonymous complaint: fetched from the Bot API, hashed, sealed; officers
get the copy without GPS or device, and the hash of what Telegram delivered."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import media
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


@pytest.fixture
def local_photo(tmp_path: Path) -> Path:
    """A photo on pintu's own disk (as officers' evidence files are)."""
    path = tmp_path / "on-this-machine.jpg"
    path.write_bytes(jpeg_photo().data)
    return path


async def test_a_file_path_naming_a_local_file_is_never_read(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, local_photo: Path
) -> None:
    """python-telegram-bot reads a getFile path that exists on this machine from disk (the
    local Bot API server's way); pintu takes files from the configured Bot API only."""
    fake_api.add_file("doc-2", b"")
    fake_api.file_paths["doc-2"] = str(local_photo)
    siti = TelegramCitizen(client, fake_api, runtime, CHAT)
    await siti.say("/pengaduan")
    await siti.press("Perilaku petugas")
    await siti.say(DESCRIPTION)
    document = {"file_id": "doc-2", "file_unique_id": "doc-2-u", "mime_type": "image/jpeg"}
    answer = await siti.send(message_update(next_update_id(), CHAT, document=document))
    assert any("tidak bisa kami terima" in text for text in answer)
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(media)) == 0


# A 1x1 GIF: kept as it came when a platform delivers it, but no copy without
# metadata can be made of one (only JPEG, PNG and WebP are walked).
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


async def file_gif(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, *, anonymous: bool
) -> str:
    """A complaint on Telegram with a GIF sent as a file; its reference."""
    fake_api.add_file("gif-1", GIF)
    siti = TelegramCitizen(client, fake_api, runtime, CHAT)
    await siti.say("/pengaduan")
    await siti.press("Pelayanan publik")
    await siti.say(DESCRIPTION)
    document = {
        "file_id": "gif-1",
        "file_unique_id": "gif-1-u",
        "file_name": "bukti.gif",
        "mime_type": "image/gif",
        "file_size": len(GIF),
    }
    await siti.send(message_update(next_update_id(), CHAT, document=document))
    await siti.press("Ya, anonim" if anonymous else "Tidak, tampilkan nama saya")
    done = await siti.press("Kirim")
    found = REFERENCE_PATTERN.search("\n".join(done))
    assert found, done
    return found.group(0)


async def officer_headers(client: httpx.AsyncClient) -> dict[str, str]:
    token = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_an_anonymous_file_without_a_clean_copy_is_not_served(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    ref = await file_gif(client, fake_api, runtime, anonymous=True)
    headers = await officer_headers(client)
    case = (await client.get(f"/api/v1/cases/{ref}", headers=headers)).json()
    [listed] = case["attachments"]
    assert listed["metadata_stripped"] is False
    assert listed["download_url"] is None
    assert listed["sha256"] is None

    response = await client.get(f"/api/v1/cases/{ref}/media/{listed['id']}", headers=headers)

    assert response.status_code == 409
    assert "no copy without metadata" in response.json()["detail"]
    [path] = [p for p in runtime.settings.media_dir.rglob("*.gif")]
    assert path.read_bytes() == GIF  # sealed, kept as it came


async def test_a_named_file_without_a_clean_copy_is_served_as_it_came(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    ref = await file_gif(client, fake_api, runtime, anonymous=False)
    headers = await officer_headers(client)
    case = (await client.get(f"/api/v1/cases/{ref}", headers=headers)).json()
    [listed] = case["attachments"]

    response = await client.get(listed["download_url"], headers=headers)

    assert response.status_code == 200
    assert response.content == GIF
    assert hashlib.sha256(GIF).hexdigest() == listed["sha256"]
