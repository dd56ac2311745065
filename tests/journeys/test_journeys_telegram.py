"""Every citizen journey on Telegram, end to end: Updates posted to the webhook over
HTTP, the fake Bot API on loopback recording what the citizen and the duty group
are sent. The scripts are `tests.support.chat_journeys`, shared with WhatsApp."""

from __future__ import annotations

import httpx
import pytest

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support import chat_journeys as journeys
from tests.support.chat import TelegramChat, said, telegram_plain
from tests.support.duty import GROUP
from tests.support.fake_telegram import FakeBotAPI
from tests.support.office import Office
from tests.support.telegram_citizen import TelegramCitizen, telegram_settings

CHAT = 5550101


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, fake_api, duty_telegram_chat_id=str(GROUP))


@pytest.fixture
def chat(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, clock: ManualClock
) -> TelegramChat:
    return TelegramChat(TelegramCitizen(client, fake_api, runtime, CHAT), clock, group=GROUP)


@pytest.fixture
def office(client: httpx.AsyncClient, runtime: Runtime) -> Office:
    return Office(client, runtime)


async def test_incident_with_someone_in_danger(
    chat: TelegramChat, office: Office, fake_api: FakeBotAPI
) -> None:
    ref = await journeys.incident_with_someone_in_danger(chat, office)
    # the alert, then the place once shared: once, though the report was completed after it
    alert, located = [p for p in fake_api.sent() if int(p["chat_id"]) == GROUP]
    [[button]] = alert["reply_markup"]["inline_keyboard"]
    assert button["text"] == "✅ Terima / Acknowledge"
    assert ref in telegram_plain(located["text"])
    # every press the citizen made was answered, so no spinner was left turning
    presses = [u for u in chat.citizen.posted if "callback_query" in u]
    assert len(fake_api.sent("answerCallbackQuery")) == len(presses)


async def test_incident_with_wrong_turns(chat: TelegramChat, office: Office) -> None:
    await journeys.incident_with_wrong_turns(chat, office, when="kemarin jam 9")


async def test_a_venue_is_taken_as_the_place(chat: TelegramChat, office: Office) -> None:
    await chat.command("lapor")
    await chat.press("Tidak")
    await chat.press("Keributan/tawuran")
    await chat.press("Sedang/baru terjadi")
    venue = {
        "location": {"latitude": -2.9909, "longitude": 104.7565},
        "title": "Benteng Kuto Besak",
        "address": "Jl. Sultan Mahmud Badaruddin",
    }
    asked = await chat.post_message(venue=venue, location=venue["location"])  # as Telegram sends it
    assert "Ceritakan apa yang terjadi" in said(asked)
    chat.location_control_gone()
    await chat.say("Dua kelompok pemuda saling lempar batu di pelataran.")
    summary = said(await chat.press("Lewati"))
    assert "Tempat: Benteng Kuto Besak, Jl. Sultan Mahmud Badaruddin (-2.99090, 104.75650)" in (
        summary
    )
    ref = journeys.reference(await chat.press("Kirim"))
    case = await office.case(ref)
    assert (case["latitude"], case["longitude"]) == (-2.9909, 104.7565)
    assert case["address"] == "Benteng Kuto Besak, Jl. Sultan Mahmud Badaruddin"
    assert case["priority"] == "high"  # happening now


async def test_status_found_and_followed(chat: TelegramChat, office: Office) -> None:
    await journeys.status_found_and_followed(chat, office)


async def test_status_wrong_answers_then_paused(chat: TelegramChat, office: Office) -> None:
    await journeys.status_wrong_then_paused(chat, office)


async def test_my_cases(chat: TelegramChat, office: Office) -> None:
    await journeys.my_cases(chat, office)


async def test_a_form_left_half_way_is_swept(chat: TelegramChat, office: Office) -> None:
    await journeys.left_half_way_then_swept(chat, office)


async def test_back_the_next_day(chat: TelegramChat, office: Office) -> None:
    await journeys.back_the_next_day(chat, office)


async def test_english_holds_across_days_and_journeys(chat: TelegramChat, office: Office) -> None:
    await journeys.in_english_from_then_on(chat, office)


async def test_faq_questions(chat: TelegramChat) -> None:
    await journeys.faq_questions(chat)
