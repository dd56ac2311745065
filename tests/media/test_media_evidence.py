"""Photos as evidence, end to end: a citizen sends a phone photo on the web
chat, officers download it from the back-office. A named report's original
comes back byte for byte with its SHA-256; an anonymous report's original
never does, only its copy without metadata, and its hash only keyed to the
case (so the same photo in a named report cannot be matched to it)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.storage.tables import audit_log
from bot.storage.tables import media as media_table
from tests.conftest import ADMIN_PASSWORD
from tests.support.images import (
    IDENTIFYING,
    Fixture,
    jpeg_photo,
    png_chunk,
    png_photo,
    webp_photo,
)
from tests.support.journeys import DESCRIPTION
from tests.support.office import sign_in
from tests.support.web import WebCitizen, texts

CASES_URL = "/api/v1/cases"
PHOTOS: dict[str, Callable[[], Fixture]] = {
    "image/jpeg": jpeg_photo,
    "image/png": png_photo,
    "image/webp": webp_photo,
}


@pytest.fixture
async def headers(client: httpx.AsyncClient) -> dict[str, str]:
    """An admin's authorization header: admins get no more than officers here."""
    return await sign_in(client, "admin", ADMIN_PASSWORD)


async def file_with_photo(client: httpx.AsyncClient, photo: bytes, *, anonymous: bool) -> str:
    """A new citizen files a complaint with `photo`; the case reference."""
    citizen = await WebCitizen.open(client)
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)
    uploaded = await citizen.upload(photo)
    assert uploaded.status_code == 202, uploaded.text
    await citizen.read()
    await citizen.press("Ya, anonim" if anonymous else "Tidak, tampilkan nama saya")
    if not anonymous:
        await citizen.give_name()
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search(texts(done))
    assert found, texts(done)
    return found.group(0)


async def attachments(
    client: httpx.AsyncClient, headers: dict[str, str], ref: str
) -> list[dict[str, Any]]:
    response = await client.get(f"{CASES_URL}/{ref}", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["attachments"]
    return found


async def stored_media(runtime: Runtime) -> list[Any]:
    async with runtime.db.connect() as conn:
        return list((await conn.execute(select(media_table).order_by(media_table.c.id))).all())


async def downloads(runtime: Runtime) -> list[dict[str, Any]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(audit_log)
            .where(audit_log.c.action == "case.media_download")
            .order_by(audit_log.c.id)
        )
        return [dict(row._mapping) for row in rows]


def evidence_hash(runtime: Runtime, ref: str, sha256: str) -> str:
    """What officers see of an anonymous report's original: HMAC-SHA256 under the
    server's evidence key of the reference and the original's SHA-256."""
    return hmac.new(runtime.evidence_key, f"{ref}:{sha256}".encode(), hashlib.sha256).hexdigest()


def assert_attachment_headers(
    response: httpx.Response, *, mime_type: str, sha256: str | None, keyed: str | None = None
) -> None:
    assert response.headers["content-type"] == mime_type
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get("x-original-sha256") == sha256
    assert response.headers.get("x-evidence-hash") == keyed
    assert "no-store" in response.headers["cache-control"]


@pytest.mark.parametrize("mime_type", sorted(PHOTOS))
async def test_anonymous_report_gives_officers_only_the_copy_without_metadata(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    runtime: Runtime,
    clock: ManualClock,
    mime_type: str,
) -> None:
    photo = PHOTOS[mime_type]()
    sha256 = hashlib.sha256(photo.data).hexdigest()
    ref = await file_with_photo(client, photo.data, anonymous=True)

    [listed] = await attachments(client, headers, ref)
    keyed = evidence_hash(runtime, ref, sha256)
    assert (listed["sha256"], listed["evidence_hash"]) == (None, keyed)
    assert listed["size"] == len(photo.data)
    assert listed["mime_type"] == mime_type
    assert listed["metadata_stripped"] is True
    assert listed["download_url"] == f"{CASES_URL}/{ref}/media/{listed['id']}"

    response = await client.get(listed["download_url"], headers=headers)

    assert response.status_code == 200, response.text
    assert response.content == photo.clean
    for word in IDENTIFYING:
        assert word not in response.content
    assert_attachment_headers(response, mime_type=mime_type, sha256=None, keyed=keyed)
    assert response.headers["x-metadata-stripped"] == "true"
    [row] = await stored_media(runtime)
    original = (runtime.settings.media_dir / row.path).read_bytes()
    assert original == photo.data, "the evidence is kept exactly as received"
    assert hashlib.sha256(original).hexdigest() == row.sha256 == sha256
    [entry] = await downloads(runtime)
    assert entry["actor"] == "admin"
    assert entry["target"] == ref
    assert json.loads(entry["detail"]) == {
        "media_id": listed["id"],
        "hash": keyed,
        "stripped": True,
        "personal_data": False,
    }


async def test_an_officer_gets_the_same_copy_as_the_admin(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username="sari",
            password="sari-password",
            role=Role.OFFICER,
            full_name="Sari",
            now=clock.now(),
        )
        await session.commit()
    officer = await sign_in(client, "sari", "sari-password")
    photo = jpeg_photo()
    ref = await file_with_photo(client, photo.data, anonymous=True)
    [listed] = await attachments(client, officer, ref)

    by_officer = await client.get(listed["download_url"], headers=officer)
    by_admin = await client.get(listed["download_url"], headers=headers)

    assert by_officer.content == by_admin.content == photo.clean
    assert [entry["actor"] for entry in await downloads(runtime)] == ["sari", "admin"]


@pytest.mark.parametrize("mime_type", sorted(PHOTOS))
async def test_named_report_gives_officers_the_original(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, mime_type: str
) -> None:
    photo = PHOTOS[mime_type]()
    sha256 = hashlib.sha256(photo.data).hexdigest()
    ref = await file_with_photo(client, photo.data, anonymous=False)
    [listed] = await attachments(client, headers, ref)
    assert listed["metadata_stripped"] is False

    response = await client.get(listed["download_url"], headers=headers)

    assert response.status_code == 200, response.text
    assert response.content == photo.data
    assert_attachment_headers(response, mime_type=mime_type, sha256=sha256)
    assert response.headers["x-metadata-stripped"] == "false"
    [row] = await stored_media(runtime)
    assert row.clean_path is not None, "the copy exists for every photo, anonymous or not"
    [entry] = await downloads(runtime)
    assert json.loads(entry["detail"])["stripped"] is False
    assert json.loads(entry["detail"])["personal_data"] is True, "a named reporter's file"


async def test_a_file_is_served_only_under_its_own_case(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    named = await file_with_photo(client, png_photo().data, anonymous=False)
    anonymous = await file_with_photo(client, jpeg_photo().data, anonymous=True)
    [named_file] = await attachments(client, headers, named)
    [anonymous_file] = await attachments(client, headers, anonymous)

    # The anonymous report's original must not leak through the named case.
    crossed = await client.get(f"{CASES_URL}/{named}/media/{anonymous_file['id']}", headers=headers)
    assert crossed.status_code == 404
    assert crossed.json()["detail"] == f"case {named} has no file {anonymous_file['id']}"
    other_way = await client.get(
        f"{CASES_URL}/{anonymous}/media/{named_file['id']}", headers=headers
    )
    assert other_way.status_code == 404
    unknown = await client.get(f"{CASES_URL}/{named}/media/999999", headers=headers)
    assert unknown.status_code == 404
    no_case = await client.get(f"{CASES_URL}/PGD-ZZZZZZ/media/{named_file['id']}", headers=headers)
    assert no_case.status_code == 404
    assert "PGD-ZZZZZZ" in no_case.json()["detail"]
    not_a_number = await client.get(f"{CASES_URL}/{named}/media/photo.jpg", headers=headers)
    assert not_a_number.status_code == 422


async def test_downloading_needs_a_signed_in_officer(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime
) -> None:
    ref = await file_with_photo(client, jpeg_photo().data, anonymous=False)
    [listed] = await attachments(client, headers, ref)

    for attempt in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await client.get(listed["download_url"], headers=attempt)
        assert response.status_code == 401
        assert jpeg_photo().data not in response.content
    assert await downloads(runtime) == []


async def test_a_photo_sent_after_filing_joins_the_timeline_with_its_file(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    citizen = await WebCitizen.open(client)
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim")
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search(texts(done))
    assert found
    photo = webp_photo()
    assert (await citizen.upload(photo.data)).status_code == 202
    await citizen.read()

    case = (await client.get(f"{CASES_URL}/{found.group(0)}", headers=headers)).json()

    [listed] = case["attachments"]
    [message] = [m for m in case["messages"] if m["attachment_id"] is not None]
    assert message["attachment_id"] == listed["id"]
    response = await client.get(listed["download_url"], headers=headers)
    assert response.content == photo.clean


MALFORMED = {
    "empty": b"",
    "random bytes": bytes(range(7, 250)) * 4,
    "JPEG signature and zeros": b"\xff\xd8\xff\xe0" + b"\x00" * 2048,
    "truncated JPEG": jpeg_photo().data[:300],
    "PNG with a bogus length": png_photo().clean[:33] + b"\x7f\xff\xff\xf0IDAT" + b"\x00" * 32,
    "PNG with a broken CRC": png_photo().clean[:-12] + png_chunk(b"IEND", b"")[:-1] + b"\x00",
    "GIF": b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_malformed_files_are_refused_and_the_report_is_still_filed(
    client: httpx.AsyncClient, runtime: Runtime, name: str
) -> None:
    """Only a JPEG, PNG or WebP that walks whole is stored from the web chat
    (issue 14: anything starting like a JPEG used to be kept)."""
    citizen = await WebCitizen.open(client)
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)

    response = await citizen.upload(MALFORMED[name])

    assert response.status_code == 422, response.text
    assert "not accepted" in response.json()["detail"]
    assert await stored_media(runtime) == []
    assert not runtime.settings.media_dir.exists() or not any(
        runtime.settings.media_dir.rglob("*.*")
    )
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim")
    done = await citizen.press("Kirim")
    assert REFERENCE_PATTERN.search(texts(done))


async def test_the_same_photo_in_a_named_and_an_anonymous_report_cannot_be_matched(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime
) -> None:
    photo = jpeg_photo()
    sha256 = hashlib.sha256(photo.data).hexdigest()
    named = await file_with_photo(client, photo.data, anonymous=False)
    anonymous = await file_with_photo(client, photo.data, anonymous=True)
    again = await file_with_photo(client, photo.data, anonymous=True)

    [shown] = await attachments(client, headers, named)
    assert shown["sha256"] == sha256
    hashes = set()
    for ref in (anonymous, again):
        detail = await client.get(f"{CASES_URL}/{ref}", headers=headers)
        assert sha256 not in detail.text
        [listed] = detail.json()["attachments"]
        download = await client.get(listed["download_url"], headers=headers)
        assert sha256 not in str(download.headers)
        hashes.add(listed["evidence_hash"])
    assert len(hashes) == 2  # two anonymous reports cannot be matched to each other either
    queue = await client.get(CASES_URL, headers=headers)
    audit = await client.get("/api/v1/audit", params={"target": anonymous}, headers=headers)
    assert sha256 not in queue.text
    assert sha256 not in audit.text
