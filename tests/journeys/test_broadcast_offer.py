"""The end of a journey offers announcements and surveys, once (issue #11).

Broadcasts reach only citizens who opted in: by `langganan`, or by saying yes
when a finished complaint, incident report or survey offers it. The offer is
made to who has neither subscribed nor declined; it is a passing question,
so a citizen who writes about something else is simply answered.
"""

from __future__ import annotations

import pytest

from tests.journeys import test_journeys
from tests.support.chat import Chat, said
from tests.support.chat_journeys import COMPLAINT, reference
from tests.support.office import Office

channel = test_journeys.channel
settings = test_journeys.settings
chat = test_journeys.chat
office = test_journeys.office

OFFER = "mau menerima pengumuman resmi dan survei kepuasan dari kami"
YES, NO = "Ya, mau", "Tidak, terima kasih"


async def complaint(chat: Chat) -> list[str]:
    await chat.command("pengaduan")
    await chat.press("Pelayanan publik")
    await chat.say(COMPLAINT)
    await chat.press("Lewati")
    await chat.press("Ya, anonim")
    return await chat.press("Kirim")


async def test_a_filed_complaint_offers_broadcasts_and_yes_subscribes(
    chat: Chat, office: Office
) -> None:
    filed = await complaint(chat)
    assert reference(filed)
    assert OFFER in said(filed)
    chat.shows_buttons([YES, NO])
    assert "akan menerima pengumuman" in said(await chat.press(YES))
    contact = await office.contact(chat.channel)
    assert contact["broadcast_opt_in"]
    assert contact["broadcast_opted_out_at"] is None
    again = await complaint(chat)
    assert reference(again)
    assert OFFER not in said(again)


@pytest.mark.parametrize("channel", ["whatsapp"])
async def test_a_typed_no_is_remembered(chat: Chat, office: Office) -> None:
    assert OFFER in said(await complaint(chat))
    assert "Kami tidak akan mengirim pengumuman atau survei" in said(await chat.say("gak"))
    contact = await office.contact(chat.channel)
    assert not contact["broadcast_opt_in"]
    assert contact["broadcast_opted_out_at"] is not None
    assert OFFER not in said(await complaint(chat))
    assert "akan menerima pengumuman" in said(await chat.say("langganan"))  # changed their mind


@pytest.mark.parametrize("channel", ["web"])
async def test_writing_about_something_else_is_answered_and_decides_nothing(
    chat: Chat, office: Office
) -> None:
    assert OFFER in said(await complaint(chat))
    answer = said(await chat.say("jam buka kantor polres kapan ya"))
    assert "08.00" in answer
    assert OFFER not in answer
    contact = await office.contact(chat.channel)
    assert not contact["broadcast_opt_in"]
    assert contact["broadcast_opted_out_at"] is None
    assert OFFER in said(await complaint(chat))  # undecided: the next journey offers again


@pytest.mark.parametrize("channel", ["telegram"])
async def test_a_subscriber_is_not_offered(chat: Chat) -> None:
    await chat.command("langganan")
    assert OFFER not in said(await complaint(chat))
