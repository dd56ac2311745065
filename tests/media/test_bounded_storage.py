"""Bounded storage (issue 14): a file is stored only when the conversation can
take it, per-session and per-address quotas, orphans removed after a retention
period, and a full disk or an oversized file answered while the report is
still filed."""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.domain.clock import ManualClock
from bot.domain.references import REFERENCE_PATTERN
from bot.runtime import Runtime
from bot.scheduler import remove_orphaned_media
from bot.settings import Settings
from bot.storage.tables import cases, dead_letters, media
from tests.support.fake_telegram import FakeBotAPI, message_update
from tests.support.images import numbered_jpeg
from tests.support.journeys import DESCRIPTION, file_complaint
from tests.support.telegram_citizen import TelegramCitizen, next_update_id, telegram_settings
from tests.support.web import WebCitizen, texts

NOT_ASKED = "Silakan kirim foto saat diminta"
NOT_SAVED = "foto Anda belum bisa kami simpan"


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(
        settings,
        fake_api,
        web_poll_wait_seconds=1.0,
        web_uploads_per_session_per_day=3,
        web_uploads_per_address_per_day=5,
        web_upload_bytes_per_session_per_day=60_000,
        max_upload_bytes=200_000,
    )


async def stored(runtime: Runtime) -> list[Any]:
    async with runtime.db.connect() as conn:
        return list((await conn.execute(select(media).order_by(media.c.id))).all())


def files_on_disk(runtime: Runtime) -> list[Path]:
    root = runtime.settings.media_dir
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def at_photo_step(citizen: WebCitizen) -> None:
    await citizen.say("pengaduan")
    await citizen.press("Pelayanan publik")
    await citizen.say(DESCRIPTION)


async def finish_without_photo(citizen: WebCitizen) -> str:
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim")
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search(texts(done))
    assert found, texts(done)
    return found.group(0)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch, runtime: Runtime) -> None:
    """Writing under the media directory fails as on a full disk (ENOSPC); the
    rest of the filesystem is untouched."""
    root = runtime.settings.media_dir.resolve()
    open_file = os.open

    def failing(path: str | Path, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if flags & os.O_CREAT and root in Path(path).resolve().parents:
            raise OSError(errno.ENOSPC, "No space left on device")
        return open_file(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", failing)


# -- only when asked --------------------------------------------------------------------


async def test_a_web_photo_nobody_asked_for_is_not_stored(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await citizen.say("halo")

    response = await citizen.upload(numbered_jpeg(1))

    assert response.status_code == 202
    assert NOT_ASKED in texts(await citizen.read())
    assert await stored(runtime) == []
    assert files_on_disk(runtime) == []


async def test_a_telegram_photo_nobody_asked_for_is_not_even_fetched(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    fake_api.add_file("photo-1", numbered_jpeg(1))
    siti = TelegramCitizen(client, fake_api, runtime, 5550101)
    await siti.say("halo")
    sizes = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 9, "height": 9}]

    answer = await siti.send(message_update(next_update_id(), siti.chat_id, photo=sizes))

    assert any(NOT_ASKED in text for text in answer)
    assert fake_api.attempts("getFile") == 0
    assert await stored(runtime) == []


async def test_a_photo_after_filing_joins_the_open_case(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await file_complaint(citizen, anonymous=True, category="Pelayanan publik")
    assert (await citizen.upload(numbered_jpeg(2))).status_code == 202
    await citizen.read()
    [row] = await stored(runtime)
    assert row.case_id is not None


# -- a full disk, an oversized file --------------------------------------------------------


@pytest.mark.usefixtures("full_disk")
async def test_a_full_disk_is_explained_and_the_report_still_filed(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await at_photo_step(citizen)

    response = await citizen.upload(numbered_jpeg(3))

    assert response.status_code == 202
    answer = texts(await citizen.read())
    assert NOT_SAVED in answer
    assert "Lewati" in str(citizen.last_prompt()["choices"])
    ref = await finish_without_photo(citizen)
    assert ref.startswith("PGD-")
    assert await stored(runtime) == []
    assert [path.name for path in files_on_disk(runtime)] == []  # no half-written file


@pytest.mark.usefixtures("full_disk")
async def test_a_full_disk_on_telegram_is_answered_not_buried(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    fake_api.add_file("photo-9", numbered_jpeg(9))
    siti = TelegramCitizen(client, fake_api, runtime, 5550102)
    await siti.say("/pengaduan")
    await siti.press("Pelayanan publik")
    await siti.say(DESCRIPTION)
    sizes = [{"file_id": "photo-9", "file_unique_id": "p9", "width": 9, "height": 9}]

    answer = await siti.send(message_update(next_update_id(), siti.chat_id, photo=sizes))

    assert any(NOT_SAVED in text for text in answer)
    await siti.press("Lewati")
    await siti.press("Ya, anonim")
    done = await siti.press("Kirim")
    assert REFERENCE_PATTERN.search("\n".join(done))
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(dead_letters)) == 0
        assert await conn.scalar(select(func.count()).select_from(cases)) == 1


async def test_an_oversized_photo_is_refused_with_a_reason_and_the_report_filed(
    citizen: WebCitizen, runtime: Runtime
) -> None:
    await at_photo_step(citizen)

    response = await citizen.upload(numbered_jpeg(4, padding=210_000))

    assert response.status_code == 422
    assert response.json()["detail"] == "file not accepted: file too large"
    await finish_without_photo(citizen)
    assert await stored(runtime) == []


# -- quotas ----------------------------------------------------------------------------------


async def test_a_session_may_store_so_many_files_a_day(
    citizen: WebCitizen, runtime: Runtime, clock: ManualClock
) -> None:
    await file_complaint(citizen, anonymous=True, category="Pelayanan publik")
    statuses = [(await citizen.upload(numbered_jpeg(10 + n))).status_code for n in range(4)]
    assert statuses == [202, 202, 202, 429]
    refused = await citizen.upload(numbered_jpeg(20))
    assert "upload quota" in refused.json()["detail"]
    assert 0 < int(refused.headers["retry-after"]) <= 86_400
    assert len(await stored(runtime)) == 3
    clock.advance(timedelta(days=1).total_seconds())
    assert (await citizen.upload(numbered_jpeg(21))).status_code == 202


async def test_sessions_of_one_address_share_its_daily_files(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    first, second = await WebCitizen.open(client), await WebCitizen.open(client)
    for citizen in (first, second):
        await file_complaint(citizen, anonymous=True, category="Pelayanan publik")
    uploads = [first, first, first, second, second, second]
    statuses = [(await c.upload(numbered_jpeg(30 + n))).status_code for n, c in enumerate(uploads)]
    assert statuses == [202, 202, 202, 202, 202, 429]  # five per address


async def test_bytes_count_too(citizen: WebCitizen, runtime: Runtime) -> None:
    await file_complaint(citizen, anonymous=True, category="Pelayanan publik")
    big = [numbered_jpeg(40 + n, padding=25_000) for n in range(3)]
    statuses = [(await citizen.upload(data)).status_code for data in big]
    assert statuses == [202, 202, 429]  # 60,000 bytes a day: the third would pass it
    assert sum(row.size for row in await stored(runtime)) <= 60_000


# -- orphans -----------------------------------------------------------------------------------


async def test_files_no_case_took_are_removed_after_the_retention_period(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    shared, alone = numbered_jpeg(50), numbered_jpeg(51)
    for photo in (shared, alone):
        quitter = await WebCitizen.open(client)
        await at_photo_step(quitter)
        assert (await quitter.upload(photo)).status_code == 202
        await quitter.read()
        await quitter.say("batal")  # the form, and its photo, abandoned
    reporter = await WebCitizen.open(client)
    await at_photo_step(reporter)
    assert (await reporter.upload(shared)).status_code == 202  # the same photo, in a report
    await reporter.read()
    await reporter.press("Ya, anonim")
    await reporter.press("Kirim")
    rows = await stored(runtime)
    assert [row.case_id is None for row in rows] == [True, True, False]
    on_disk = files_on_disk(runtime)

    retention = timedelta(days=runtime.settings.media_orphan_days)
    clock.advance((retention - timedelta(minutes=1)).total_seconds())
    assert await remove_orphaned_media(runtime) == 0
    clock.advance(timedelta(minutes=2).total_seconds())
    assert await remove_orphaned_media(runtime) == 2

    [kept] = await stored(runtime)
    assert kept.case_id is not None
    remaining = files_on_disk(runtime)
    kept_paths = {
        runtime.settings.media_dir / kept.path,
        runtime.settings.media_dir / kept.clean_path,
    }
    assert set(remaining) == kept_paths  # the shared file stays, the lone one is gone
    assert len(on_disk) == 4
    assert await remove_orphaned_media(runtime) == 0


async def test_files_of_a_conversation_still_going_are_kept(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    """A citizen who sent a photo to one of two open cases is asked which: the
    answer may come later, and the file must still be there."""
    citizen = await WebCitizen.open(client)
    for _ in range(2):
        await file_complaint(citizen, anonymous=True, category="Pelayanan publik")
    assert (await citizen.upload(numbered_jpeg(60))).status_code == 202
    await citizen.read()
    [row] = await stored(runtime)
    assert row.case_id is None  # waiting for "which case?"
    retention = timedelta(days=runtime.settings.media_orphan_days)
    clock.advance((retention - timedelta(hours=1)).total_seconds())
    await citizen.say("halo")  # still talking
    clock.advance(timedelta(hours=2).total_seconds())
    assert await remove_orphaned_media(runtime) == 0
    clock.advance(retention.total_seconds())
    assert await remove_orphaned_media(runtime) == 1
