"""The satisfaction survey on every chat channel, end to end.

A case is closed by an officer through the API; the scheduler's job
(`bot.scheduler.send_survey_invitations`, run here by hand with the manual
clock) sends the invitation when it is due; the citizen answers in their
chat — by buttons on Telegram, by typing on WhatsApp and the web chat —,
leaves half-way, comes back, finishes; what was stored is checked in the
tables and through the results API.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.scheduler import send_survey_invitations
from bot.services.survey_invitations import schedule_after_close
from bot.storage.tables import survey_answers, survey_invitations, survey_responses
from tests.journeys import test_journeys
from tests.support.chat import Chat, TelegramChat, WebChat, WhatsAppChat, said
from tests.support.chat_journeys import COMPLAINT, reference
from tests.support.fake_telegram import press_update
from tests.support.office import Office
from tests.support.telegram_citizen import next_update_id

# The chat on each channel, its platform and the office: the fixtures of every journey.
channel = test_journeys.channel
settings = test_journeys.settings
chat = test_journeys.chat
office = test_journeys.office

START, LATER = "Mulai survei", "Nanti saja"
U1 = ["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]
KEPT = "jawaban yang sudah Bapak/Ibu berikan tetap tersimpan"
THANKS = "Terima kasih, Bapak/Ibu! Penilaian Anda sudah kami terima"
SUGGESTION = "Mohon ruang tunggu SPKT diberi kipas angin."


async def anonymous_complaint(chat: Chat) -> str:
    await chat.command("pengaduan")
    await chat.press("Pelayanan publik")
    await chat.say(COMPLAINT)
    await chat.press("Lewati")
    await chat.press("Ya, anonim")
    return reference(await chat.press("Kirim"))


async def invited_after_close(chat: Chat, office: Office, runtime: Runtime) -> str:
    """A complaint filed, closed, and its invitation sent once due; the reference."""
    ref = await anonymous_complaint(chat)
    await office.close(ref, "Petugas loket sudah ditegur dan uang dikembalikan.")
    assert ref in said(await chat.read())
    assert await send_survey_invitations(runtime) == 0  # not before the delay
    assert isinstance(chat.clock, ManualClock)
    chat.clock.advance(runtime.settings.survey_delay_seconds)
    assert await send_survey_invitations(runtime) == 1
    invitation = said(await chat.read())
    assert f"Laporan {ref} Bapak/Ibu sudah selesai kami tangani." in invitation
    assert "mohon nilai layanan kami dalam survei kepuasan singkat" in invitation
    chat.shows_buttons([START, LATER])
    return ref


async def press_earlier(chat: Chat, label: str) -> list[str]:
    """Press `label` on the invitation, an earlier message than the newest prompt."""
    if isinstance(chat, TelegramChat):
        mine = [p for p in chat.api.sent() if int(p["chat_id"]) == chat.citizen.chat_id]
        prompt = [p for p in mine if label in str(p.get("reply_markup"))][-1]
        data = chat.citizen.button_data(prompt, label)
        update = press_update(next_update_id(), chat.citizen.chat_id, data, prompt)
        chat.clock.advance(3)
        return [text for text in await chat.citizen.send(update)]
    if isinstance(chat, WhatsAppChat):
        citizen = chat.citizen
        prompt = [b for b in citizen.received() if label in str(b.get("interactive"))][-1]
        chat.clock.advance(3)
        return await citizen.deliver(citizen.notification(citizen.press_message(label, prompt)))
    assert isinstance(chat, WebChat)
    message = [m for m in chat.citizen.inbox if label in [c["label"] for c in m["choices"]]][-1]
    [choice] = [c for c in message["choices"] if c["label"] == label]
    return await chat._post({"choice_id": choice["id"], "prompt_token": message["prompt_token"]})


async def answers(office: Office) -> list[tuple[str, int | None, str | None]]:
    rows = await office.rows(survey_answers)
    return [(row["question"], row["mark"], row["text"]) for row in rows]


async def test_after_close_survey_answered_left_and_resumed(
    chat: Chat, office: Office, runtime: Runtime
) -> None:
    ref = await invited_after_close(chat, office, runtime)
    asked = said(await chat.press(START))
    assert "Terima kasih atas kesediaan Bapak/Ibu menilai pelayanan pengaduan" in asked
    assert "kesesuaian persyaratan pelayanan pengaduan dengan jenis pelayanannya" in asked
    assert "Langkah 1 dari 10" in asked
    chat.shows_list(U1)  # on WhatsApp a list: the labels are too long for three buttons
    if isinstance(chat, TelegramChat):
        await chat.press("Sangat sesuai")
        asked = said(await chat.press("Mudah"))
    else:
        await chat.say("4")
        asked = said(await chat.say("mudah"))
    assert "kecepatan waktu pelayanan pengaduan" in asked
    assert await answers(office) == [("U1", 4, None), ("U2", 3, None)]  # stored as given

    left = said(await chat.say("batal"))
    assert KEPT in left
    chat.clock.advance(runtime.settings.conversation_idle_seconds + 60)
    again = said(await press_earlier(chat, START))  # the invitation's button, later
    assert "Kita lanjutkan survei tentang pelayanan pengaduan" in again
    assert "kecepatan waktu pelayanan pengaduan" in again  # U3, the first not answered
    assert "Langkah 1 dari 8" in again

    if isinstance(chat, TelegramChat):
        for label in ("Cepat", "Gratis", "Sesuai", "Kompeten", "Sopan dan ramah"):
            await chat.press(label)
        await chat.press("Dikelola dengan baik")
        last = said(await chat.press("Baik"))
    else:
        unread = said(await chat.say("ok lah"))
        assert "Maaf, jawaban itu belum bisa kami pahami" in unread
        assert "kecepatan waktu" in unread  # the same question again
        nonsense = said(await chat.say("xyz 123 qwerty"))
        assert "Maaf, jawaban itu belum bisa kami pahami" in nonsense
        await chat.say("cepat")
        await chat.say("gratis")
        await chat.say("sesuai")
        await chat.say("kompeten")
        await chat.say("sopan")
        await chat.say("dikelola dengan baik")
        last = said(await chat.say("baik"))
    assert "adakah saran atau masukan Bapak/Ibu untuk pelayanan pengaduan" in last
    chat.shows_buttons(["Lewati"])
    done = said(await chat.say("lewati"))
    assert THANKS in done

    marks = [(q, m) for q, m, _ in await answers(office)]
    assert marks == [(f"U{n}", mark) for n, mark in enumerate([4, 3, 3, 4, 3, 3, 3, 4, 3], 1)]
    [invitation] = await office.rows(survey_invitations)
    [response] = await office.rows(survey_responses)
    assert (response["invitation_id"], response["service"]) == (invitation["id"], "complaints")
    assert (response["channel"], response["completed_at"]) == (chat.channel, chat.clock.now())
    again = said(await press_earlier(chat, START))
    assert "Survei ini sudah Bapak/Ibu isi" in again  # an invitation is answered once
    case = await office.case(ref)
    assert invitation["case_id"] == case["id"]
    read = await office.http.get(
        "/api/v1/surveys/ikm/results",
        params={"service": "complaints"},
        headers=await office.headers(),
    )
    body = read.json()
    assert (body["responses"], body["respondents"], body["invited"]) == (1, 1, 1)
    assert (body["response_rate"], body["ikm"], body["grade"]) == (1.0, 83.33, "B")


async def test_the_survey_command_and_a_suggestion(
    chat: Chat, office: Office, runtime: Runtime
) -> None:
    asked = said(await chat.command("survei"))
    assert "menilai pelayanan kami" in asked
    for _ in range(9):
        await chat.say("4")
    done = said(await chat.say(SUGGESTION))
    assert THANKS in done
    [response] = await office.rows(survey_responses)
    assert (response["service"], response["invitation_id"]) == ("general", None)
    assert (await answers(office))[-1] == ("suggestion", None, SUGGESTION)
    assert await office.rows(survey_invitations) == []  # asked for, not invited


@pytest.mark.parametrize("channel", ["web"])
async def test_later_then_the_command_answers_the_invitation(
    chat: Chat, office: Office, runtime: Runtime
) -> None:
    await invited_after_close(chat, office, runtime)
    later = said(await chat.press(LATER))
    assert "Baik, tidak apa-apa. Tombol survei tetap bisa ditekan kapan saja" in later
    asked = said(await chat.command("survei"))  # the invitation not answered yet
    assert "menilai pelayanan pengaduan" in asked
    await chat.say("4")
    [invitation] = await office.rows(survey_invitations)
    [response] = await office.rows(survey_responses)
    assert response["invitation_id"] == invitation["id"]


async def closed_case(chat: Chat, office: Office) -> tuple[str, int]:
    ref = await anonymous_complaint(chat)
    await office.close(ref, "Selesai.")
    return ref, (await office.case(ref))["id"]


@pytest.mark.parametrize("channel", ["web"])
async def test_never_twice_about_one_case(
    chat: Chat, office: Office, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    ref, case_id = await closed_case(chat, office)
    again = await client.post(
        f"/api/v1/cases/{ref}/close", json={"resolution": "lagi"}, headers=await office.headers()
    )
    assert again.status_code == 409
    async with runtime.db.begin() as conn:  # whatever closes it again: the case is unique
        scheduled = await schedule_after_close(
            conn, case_id=case_id, now=chat.clock.now(), delay=timedelta(0)
        )
    assert scheduled is False
    assert len(await office.rows(survey_invitations)) == 1
    chat.clock.advance(runtime.settings.survey_delay_seconds)
    # two schedulers at once (a second worker's): the conditional claim lets one send it
    both = await asyncio.gather(send_survey_invitations(runtime), send_survey_invitations(runtime))
    assert sorted(both) == [0, 1]
    assert await send_survey_invitations(runtime) == 0  # sent is sent
    shown = await chat.read()
    assert sum("survei kepuasan singkat" in text for text in shown) == 1


@pytest.mark.parametrize("channel", ["web"])
async def test_at_most_one_invitation_a_week_except_a_cases_own(
    chat: Chat, office: Office, runtime: Runtime
) -> None:
    await office.put_application("skck", "SKCK/123/XI/2026", status="Berkas diverifikasi")
    await chat.command("status")
    await chat.press("SKCK")
    await chat.say("SKCK/123/XI/2026")
    await chat.say("17-08-1990")
    await chat.press("Ya, kabari saya")  # tell me when it changes
    _, first_case = await closed_case(chat, office)
    chat.clock.advance(runtime.settings.survey_delay_seconds)
    assert await send_survey_invitations(runtime) == 1

    await office.put_application(
        "skck", "SKCK/123/XI/2026", status="Sudah bisa diambil", completed=True
    )
    _, second_case = await closed_case(chat, office)
    chat.clock.advance(runtime.settings.survey_delay_seconds)
    assert await send_survey_invitations(runtime) == 1  # the second case's own, not the SKCK's
    rows = {
        row["reason"] + str(row["case_id"]): row for row in await office.rows(survey_invitations)
    }
    assert rows[f"case_closed{first_case}"]["status"] == "sent"
    assert rows[f"case_closed{second_case}"]["status"] == "sent"
    skck = rows["applicationNone"]
    assert (skck["status"], skck["skip_reason"], skck["service"]) == (
        "skipped",
        "min_interval",
        "skck",
    )


@pytest.mark.parametrize("channel", ["web"])
async def test_an_application_completed_invites_its_subscribers(
    chat: Chat, office: Office, runtime: Runtime
) -> None:
    await office.put_application("skck", "SKCK/123/XI/2026", status="Berkas diverifikasi")
    await chat.command("status")
    await chat.press("SKCK")
    await chat.say("SKCK/123/XI/2026")
    await chat.say("17-08-1990")
    await chat.press("Ya, kabari saya")
    await office.put_application("skck", "SKCK/123/XI/2026", status="Dicetak")  # not completed
    assert await office.rows(survey_invitations) == []
    await office.put_application(
        "skck", "SKCK/123/XI/2026", status="Sudah bisa diambil", completed=True
    )
    await office.put_application("skck", "SKCK/123/XI/2026", status="Sudah diambil", completed=True)
    [invitation] = await office.rows(survey_invitations)  # once per citizen and application
    assert (invitation["reason"], invitation["service"]) == ("application", "skck")
    chat.clock.advance(runtime.settings.survey_delay_seconds)
    assert await send_survey_invitations(runtime) == 1
    shown = said(await chat.read())
    assert "Permohonan SKCK/123/XI/2026 Bapak/Ibu sudah selesai." in shown
    asked = said(await chat.press(START))
    assert "persyaratan pelayanan SKCK" in asked


@pytest.mark.parametrize("channel", ["web"])
async def test_no_invitation_after_berhenti(chat: Chat, office: Office, runtime: Runtime) -> None:
    await closed_case(chat, office)
    await chat.say("berhenti")
    chat.clock.advance(runtime.settings.survey_delay_seconds)
    assert await send_survey_invitations(runtime) == 0
    [invitation] = await office.rows(survey_invitations)
    assert (invitation["status"], invitation["skip_reason"]) == ("skipped", "opted_out")
