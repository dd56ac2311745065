"""Every citizen journey on every chat channel, end to end.

The scripts are `tests.support.chat_journeys`; each test here runs one on
Telegram (Updates posted to the webhook, the fake Bot API on loopback
recording what the citizen and the duty group are sent), on WhatsApp (signed
notifications posted to the webhook, the fake Graph API recording what the
citizen is sent and serving the media they send) and on the web chat (the
page's HTTP API), then adds what only that platform shows. The web chat has
no stickers or voice notes, so the journey that sends them skips it.
"""

from __future__ import annotations

import httpx
import pytest

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support import chat_journeys as journeys
from tests.support.chat import Chat, TelegramChat, WebChat, WhatsAppChat, said, telegram_plain
from tests.support.duty import GROUP
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.office import Office
from tests.support.telegram_citizen import TelegramCitizen, telegram_settings
from tests.support.web import WebCitizen
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

CHAT = 5550101
BSUID = "ID.2049120865530274777"
WA_ID = "6281298765432"


@pytest.fixture(params=["telegram", "whatsapp", "web"])
def channel(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def settings(settings: Settings, channel: str, request: pytest.FixtureRequest) -> Settings:
    """The channel under test turned on, against its fake platform API (web chat: always on)."""
    if channel == "telegram":
        api: FakeBotAPI = request.getfixturevalue("fake_api")
        return telegram_settings(settings, api, duty_telegram_chat_id=str(GROUP))
    if channel == "whatsapp":
        graph: FakeGraphAPI = request.getfixturevalue("graph")
        return whatsapp_settings(settings, graph)
    return settings


@pytest.fixture
def chat(
    channel: str,
    request: pytest.FixtureRequest,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
) -> Chat:
    if channel == "telegram":
        citizen = TelegramCitizen(client, request.getfixturevalue("fake_api"), runtime, CHAT)
        return TelegramChat(citizen, clock, group=GROUP)
    if channel == "whatsapp":
        graph: FakeGraphAPI = request.getfixturevalue("graph")
        return WhatsAppChat(
            WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=WA_ID), clock
        )
    browser: WebCitizen = request.getfixturevalue("citizen")
    return WebChat(browser, runtime, clock)


@pytest.fixture
def office(client: httpx.AsyncClient, runtime: Runtime) -> Office:
    return Office(client, runtime)


async def test_incident_with_someone_in_danger(chat: Chat, office: Office) -> None:
    ref = await journeys.incident_with_someone_in_danger(chat, office)
    if isinstance(chat, TelegramChat):
        # the alert, then the place once shared: once, though the report was completed after it
        alert, located = [p for p in chat.api.sent() if int(p["chat_id"]) == GROUP]
        [[button]] = alert["reply_markup"]["inline_keyboard"]
        assert button["text"] == "✅ Terima / Acknowledge"
        assert ref in telegram_plain(located["text"])
        # every press the citizen made was answered, so no spinner was left turning
        presses = [u for u in chat.citizen.posted if "callback_query" in u]
        assert len(chat.api.sent("answerCallbackQuery")) == len(presses)
    if isinstance(chat, WhatsAppChat):
        # both photos were fetched from Graph: the media URL, then the download
        calls = chat.citizen.api.calls
        assert sum(call.path.startswith("/download/media-photo-") for call in calls) == 2


@pytest.mark.parametrize(
    ("channel", "when"), [("telegram", "kemarin jam 9"), ("whatsapp", "tadi malam")]
)
async def test_incident_with_wrong_turns(chat: Chat, office: Office, when: str) -> None:
    await journeys.incident_with_wrong_turns(chat, office, when=when)


@pytest.mark.parametrize("channel", ["telegram"])
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


async def test_status_found_and_followed(chat: Chat, office: Office) -> None:
    await journeys.status_found_and_followed(chat, office)
    if isinstance(chat, WhatsAppChat):
        # the news went out as a free-form message: the citizen wrote within 24 hours
        assert chat.newest()["type"] == "text"


async def test_status_wrong_answers_then_paused(chat: Chat, office: Office) -> None:
    await journeys.status_wrong_then_paused(chat, office)


async def test_my_cases(chat: Chat, office: Office) -> None:
    await journeys.my_cases(chat, office)


async def test_a_form_left_half_way_is_swept(chat: Chat, office: Office) -> None:
    await journeys.left_half_way_then_swept(chat, office)


async def test_back_the_next_day(chat: Chat, office: Office) -> None:
    await journeys.back_the_next_day(chat, office)


async def test_english_holds_across_days_and_journeys(chat: Chat, office: Office) -> None:
    await journeys.in_english_from_then_on(chat, office)


async def test_faq_questions(chat: Chat) -> None:
    await journeys.faq_questions(chat)


async def test_an_emergency_first_message_then_cancelled(chat: Chat, office: Office) -> None:
    await journeys.emergency_first_then_cancelled(chat, office)


async def test_a_complaint_with_forgiving_answers_then_a_second_one(
    chat: Chat, office: Office
) -> None:
    first = await journeys.complaint_with_forgiving_answers(chat)
    second = await journeys.complaint_with_forgiving_answers(chat)
    assert first != second
    if isinstance(chat, WebChat):
        # the page marks a button pressed by its prompt token: one used again showed
        # "Pengaduan" pressed on the next menu; tokens never repeat for a citizen
        tokens = [m["prompt_token"] for m in chat.citizen.inbox if m["prompt_token"]]
        assert len(tokens) == len(set(tokens))


async def test_status_typed_loosely(chat: Chat, office: Office) -> None:
    await journeys.status_typed_loosely(chat, office)


async def test_own_words_first(chat: Chat, office: Office) -> None:
    await journeys.own_words_first(chat, office)


async def test_an_open_case_does_not_swallow(chat: Chat, office: Office) -> None:
    await journeys.open_case_does_not_swallow(chat, office)
