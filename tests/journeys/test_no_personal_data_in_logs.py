"""Every journey on every channel, with all log output captured: no personal data, no secret.

The app runs under pintu's own logging configuration (as `pintu serve` logs) at
DEBUG, so every logger's lines reach the captured output: pintu's, uvicorn's
(the fakes' access lines too), httpx's, SQLAlchemy's. The citizen's phone
numbers, names, chat ids, NIK and words, the officer's reply and every token
and password used must appear in none of them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from bot.runtime import Runtime
from bot.settings import Settings
from tests.conftest import ADMIN_PASSWORD
from tests.journeys import test_journeys, test_survey_journeys
from tests.support import chat_journeys as journeys
from tests.support.chat import Chat, WebChat, said
from tests.support.fake_whatsapp import APP_SECRET, VERIFY_TOKEN
from tests.support.logs import pintu_logs
from tests.support.office import Office
from tests.support.web import NAME, PHONE

# The chat on each channel, its platform and the office: the fixtures of every journey.
channel = test_journeys.channel
settings = test_journeys.settings
chat = test_journeys.chat
office = test_journeys.office

NIK = "3171234567890001"
TEXT_PHONE = "081377712345"
NAMED = "Bambang Sutrisno"
COMPLAINT = (
    f"Petugas bernama {NAMED} meminta uang Rp200.000 untuk SKCK. "
    f"NIK saya {NIK}, HP {TEXT_PHONE}, mohon dihubungi."
)
REPLY = "Bapak/Ibu, petugas yang bersangkutan sudah kami panggil untuk klarifikasi besok."
# A phone number or a NIK anywhere (what the journeys typed is checked by value as well).
NUMBERS = re.compile(r"(?<![0-9a-f])(?:\+?62|0)8\d{8,11}(?![0-9a-f])|(?<!\d)\d{16}(?!\d)")


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    with pintu_logs(level="DEBUG") as output:
        yield output


@pytest.fixture
def app(logs: io.StringIO, app: FastAPI) -> FastAPI:
    """The suite's app, started once pintu's logging is in place."""
    return app


def personal_data(chat: Chat, settings: Settings) -> dict[str, str]:
    """What must never be logged, by what it is."""
    found = {
        "Telegram chat id": str(test_journeys.CHAT),
        "WhatsApp BSUID": test_journeys.BSUID,
        "WhatsApp phone": test_journeys.WA_ID,
        "profile name": "Siti",
        "web chat name": NAME,
        "web chat phone": PHONE,
        "web chat phone, digits": PHONE.replace(" ", ""),
        "NIK in text": NIK,
        "phone in text": TEXT_PHONE,
        "name in text": NAMED,
        "complaint text": COMPLAINT[:40],
        "incident text": journeys.FIGHT[:40],
        "survey's complaint text": journeys.COMPLAINT[:40],
        "officer's reply": REPLY[:40],
        "birth date": "17-08-1990",
        "latitude": str(journeys.PASAR_16[0]),
        "longitude": str(journeys.PASAR_16[1]),
        "admin password": ADMIN_PASSWORD,
        "WhatsApp verify token": VERIFY_TOKEN,
        "WhatsApp app secret": APP_SECRET,
    }
    secrets = {
        "Telegram bot token": settings.telegram_bot_token,
        "WhatsApp access token": settings.whatsapp_access_token,
        "secret key": settings.secret_key,
    }
    found |= {name: value.get_secret_value() for name, value in secrets.items() if value}
    if isinstance(chat, WebChat):
        found["web chat token"] = chat.citizen.token
    return found


async def test_every_journey_leaves_no_personal_data_in_the_logs(
    chat: Chat,
    office: Office,
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    logs: io.StringIO,
) -> None:
    await journeys.status_found_and_followed(chat, office)
    await journeys.incident_with_someone_in_danger(chat, office)  # location, photos, duty desk
    ref = await journeys.file_complaint(chat, COMPLAINT)  # named, with numbers in the text
    answer = await client.post(
        f"/api/v1/cases/{ref}/replies", json={"text": REPLY}, headers=await office.headers()
    )
    assert answer.status_code == 201, answer.text
    assert REPLY in said(await chat.read())
    await test_survey_journeys.invited_after_close(chat, office, runtime)  # anonymous, closed
    await chat.press(test_survey_journeys.START)

    logged = logs.getvalue()
    assert logged.count("\n") > 50  # the scan below reads a full log, not an empty one
    assert " DEBUG " in logged
    leaked = {
        name: value for name, value in personal_data(chat, settings).items() if value in logged
    }
    lines = [line for line in logged.splitlines() if any(v in line for v in leaked.values())]
    assert leaked == {}, lines
    without_ids = re.sub(r"\[[^\]\s]*\]", "", logged)  # correlation ids are random hex
    assert NUMBERS.findall(without_ids) == []
