"""Scripted citizen journeys reused by several tests."""

from __future__ import annotations

from typing import Protocol

from bot.domain.references import REFERENCE_PATTERN
from tests.support.web import WebCitizen, texts

DESCRIPTION = (
    "Kemarin sore petugas di loket SKCK meminta uang tambahan Rp50.000 tanpa kuitansi resmi."
)


async def file_complaint(
    citizen: WebCitizen,
    *,
    anonymous: bool = False,
    description: str = DESCRIPTION,
    category: str = "Perilaku petugas",
    confidential: bool = False,
) -> str:
    """File a complaint by pressing buttons; the case reference the bot gives.
    A complaint about an officer is asked whether to keep it confidential."""
    await citizen.say("pengaduan")
    await citizen.press(category)
    await citizen.say(description)
    await citizen.press("Lewati")
    await citizen.press("Ya, anonim" if anonymous else "Tidak, tampilkan nama saya")
    if category == "Perilaku petugas":
        await citizen.press("Ya, rahasiakan" if confidential else "Tidak perlu")
    if not anonymous:
        await citizen.give_name()
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search(texts(done))
    assert found, texts(done)
    return found.group(0)


class PlatformCitizen(Protocol):
    """A citizen on Telegram or WhatsApp, as the tests drive them: what they are sent back."""

    async def say(self, text: str) -> list[str]: ...
    async def press(self, label: str) -> list[str]: ...


async def file_complaint_on(citizen: PlatformCitizen, *, first: str) -> str:
    """File a named complaint by buttons, starting with `first`; the reference given."""
    await citizen.say(first)
    await citizen.press("Pengaduan")
    await citizen.press("Perilaku petugas")
    await citizen.say(DESCRIPTION)
    await citizen.press("Lewati")
    await citizen.press("Tidak, tampilkan nama saya")
    await citizen.press("Tidak perlu")
    done = await citizen.press("Kirim")
    found = REFERENCE_PATTERN.search("\n".join(done))
    assert found, done
    return found.group(0)
