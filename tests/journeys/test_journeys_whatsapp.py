"""Every citizen journey on WhatsApp, end to end: signed notifications posted to the
webhook over HTTP, the fake Graph API on loopback recording what the citizen is sent
and serving the media they send. The scripts are `tests.support.chat_journeys`,
shared with Telegram."""

from __future__ import annotations

import httpx
import pytest

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support import chat_journeys as journeys
from tests.support.chat import WhatsAppChat
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.office import Office
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

BSUID = "ID.2049120865530274777"
WA_ID = "6281298765432"


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphAPI) -> Settings:
    return whatsapp_settings(settings, graph)


@pytest.fixture
def chat(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime, clock: ManualClock
) -> WhatsAppChat:
    citizen = WhatsAppCitizen(client, graph, runtime, user_id=BSUID, wa_id=WA_ID)
    return WhatsAppChat(citizen, clock)


@pytest.fixture
def office(client: httpx.AsyncClient, runtime: Runtime) -> Office:
    return Office(client, runtime)


async def test_incident_with_someone_in_danger(
    chat: WhatsAppChat, office: Office, graph: FakeGraphAPI
) -> None:
    await journeys.incident_with_someone_in_danger(chat, office)
    # both photos were fetched from Graph: the media URL, then the download
    assert sum(call.path.startswith("/download/media-photo-") for call in graph.calls) == 2


async def test_incident_with_wrong_turns(chat: WhatsAppChat, office: Office) -> None:
    await journeys.incident_with_wrong_turns(chat, office, when="tadi malam")


async def test_status_found_and_followed(chat: WhatsAppChat, office: Office) -> None:
    await journeys.status_found_and_followed(chat, office)
    # the news went out as a free-form message: the citizen wrote within 24 hours
    assert chat.newest()["type"] == "text"


async def test_status_wrong_answers_then_paused(chat: WhatsAppChat, office: Office) -> None:
    await journeys.status_wrong_then_paused(chat, office)


async def test_my_cases(chat: WhatsAppChat, office: Office) -> None:
    await journeys.my_cases(chat, office)


async def test_a_form_left_half_way_is_swept(chat: WhatsAppChat, office: Office) -> None:
    await journeys.left_half_way_then_swept(chat, office)


async def test_back_the_next_day(chat: WhatsAppChat, office: Office) -> None:
    await journeys.back_the_next_day(chat, office)


async def test_english_holds_across_days_and_journeys(chat: WhatsAppChat, office: Office) -> None:
    await journeys.in_english_from_then_on(chat, office)


async def test_faq_questions(chat: WhatsAppChat) -> None:
    await journeys.faq_questions(chat)
