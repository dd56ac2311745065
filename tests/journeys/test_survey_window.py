"""A WhatsApp citizen outside the 24-hour window: the survey invitation goes as the
configured template (the invitation itself waits for their next message), or not
at all when no template is configured."""

from __future__ import annotations

import httpx
import pytest

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.scheduler import send_survey_invitations
from bot.settings import Settings
from bot.storage.tables import survey_invitations
from tests.journeys.test_survey_journeys import START, anonymous_complaint, press_earlier
from tests.support.chat import WhatsAppChat
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.office import Office
from tests.support.outbox import settle
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

TEMPLATE = "pintu_survei"


@pytest.fixture(params=[None, TEMPLATE], ids=["no-template", "template"])
def survey_template(request: pytest.FixtureRequest) -> str | None:
    name: str | None = request.param
    return name


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphAPI, survey_template: str | None) -> Settings:
    return whatsapp_settings(settings, graph, whatsapp_survey_template=survey_template)


async def test_outside_the_window_a_template_or_nothing(
    survey_template: str | None,
    client: httpx.AsyncClient,
    graph: FakeGraphAPI,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    citizen = WhatsAppCitizen(client, graph, runtime, user_id="ID.77001", wa_id="6281211112222")
    chat = WhatsAppChat(citizen, clock)
    office = Office(client, runtime)
    ref = await anonymous_complaint(chat)
    await office.close(ref, "Selesai.")
    await chat.read()
    clock.advance(25 * 3600)  # nothing from the citizen since: the window has closed
    before = len(citizen.received())

    sent = await send_survey_invitations(runtime)
    await settle(runtime)
    new = citizen.received()[before:]
    [invitation] = await office.rows(survey_invitations)
    if survey_template is None:
        assert sent == 0
        assert (invitation["status"], invitation["skip_reason"]) == ("skipped", "outside_window")
        assert new == []
        return
    assert (sent, invitation["status"]) == (1, "sent")
    [announced] = new  # the template only; the invitation waits for the citizen
    assert announced["type"] == "template"
    assert announced["template"]["name"] == TEMPLATE
    assert announced["template"]["components"][0]["parameters"][0]["text"] == ref
    await chat.say("halo")  # they write back: the window opens, the invitation follows
    released = [b for b in citizen.received()[before + 1 :] if b["type"] == "interactive"]
    assert any(START in str(body["interactive"]) for body in released)
    asked = await press_earlier(chat, START)
    assert "menilai pelayanan pengaduan" in "\n".join(asked)
