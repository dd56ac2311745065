"""Scripted citizen journeys reused by several tests."""

from __future__ import annotations

from bot.references import REFERENCE_PATTERN
from tests.support.web import WebCitizen, texts

DESCRIPTION = (
    "Kemarin sore petugas di loket SKCK meminta uang tambahan Rp50.000 tanpa kuitansi resmi."
)


async def file_complaint(
    citizen: WebCitizen, *, anonymous: bool = False, description: str = DESCRIPTION
) -> str:
    """File a complaint by pressing buttons; the case reference the bot gives."""
    await citizen.say("pengaduan")
    await citizen.press("Perilaku petugas")
    await citizen.say(description)
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim" if anonymous else "Tidak, tampilkan nama saya")
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search(texts(done))
    assert found, texts(done)
    return found.group(0)
