"""Sending broadcasts through the platform fakes: who gets what, opt-out in the middle,
pause, resume and cancel, cron runs on a controlled clock, a restart and two
schedulers racing without anyone getting a run twice, progress from status webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.services.broadcasts import LEASE
from bot.settings import Settings
from bot.storage.tables import broadcasts, contacts, survey_invitations
from tests.conftest import ADMIN_PASSWORD
from tests.support.broadcasts import Broadcasts, copies_per_contact, recipients, send_all
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.fake_whatsapp import FakeGraphAPI, notification, status
from tests.support.office import sign_in
from tests.support.outbox import settle
from tests.support.telegram_citizen import TelegramCitizen, telegram_settings
from tests.support.web import WebCitizen
from tests.support.whatsapp_citizen import WhatsAppCitizen, whatsapp_settings

TEMPLATE = "pintu_pengumuman"
NOTICE = "Besok ada pelayanan SKCK keliling di Lapangan Merdeka."
NOTICE_EN = "Mobile SKCK service tomorrow at Lapangan Merdeka."
DAY_AND_AN_HOUR = 25 * 3600


@pytest.fixture
def broadcast_template() -> str | None:
    return TEMPLATE


@pytest.fixture
def settings(
    settings: Settings, fake_api: FakeBotAPI, graph: FakeGraphAPI, broadcast_template: str | None
) -> Settings:
    on_whatsapp = whatsapp_settings(settings, graph, whatsapp_broadcast_template=broadcast_template)
    return telegram_settings(on_whatsapp, fake_api, broadcast_batch_size=2)


@pytest.fixture
def run_workers() -> bool:
    """False: no background sender or scheduler; the test sends (`settle`) when it means to."""
    return True


@pytest.fixture
async def app(settings: Settings, clock: ManualClock, run_workers: bool) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock, run_workers=run_workers)
    async with application.router.lifespan_context(application):
        yield application


async def admin(client: httpx.AsyncClient) -> Broadcasts:
    """Signed in now (tokens last 8 hours: sign in again after moving the clock far)."""
    return Broadcasts(client, await sign_in(client, "admin", ADMIN_PASSWORD))


def on_telegram(
    client: httpx.AsyncClient, api: FakeBotAPI, runtime: Runtime, chat_id: int
) -> TelegramCitizen:
    return TelegramCitizen(client, api, runtime, chat_id)


def on_whatsapp(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime, number: int
) -> WhatsAppCitizen:
    return WhatsAppCitizen(
        client, graph, runtime, user_id=f"ID.90000{number}", wa_id=f"62812000{number}"
    )


async def subscribed_on_telegram(
    client: httpx.AsyncClient, api: FakeBotAPI, runtime: Runtime, count: int
) -> list[TelegramCitizen]:
    citizens = [on_telegram(client, api, runtime, 7000 + n) for n in range(count)]
    for citizen in citizens:
        await citizen.say("langganan")
        citizen.new_texts()
    return citizens


def got(citizen: TelegramCitizen, text: str = NOTICE) -> int:
    """How many of the citizen's new messages carry `text`."""
    return sum(text in each for each in citizen.new_texts())


@pytest.fixture
async def second_app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    """Another pintu process on the same database (its scheduler driven by hand)."""
    application = create_app(settings, clock=clock, run_workers=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_broadcast_reaches_every_subscriber_on_every_channel_in_their_language(
    client: httpx.AsyncClient,
    fake_api: FakeBotAPI,
    graph: FakeGraphAPI,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    away = on_whatsapp(client, graph, runtime, 1)  # subscribes, then stays silent a day
    await away.say("langganan")
    clock.advance(DAY_AND_AN_HOUR)
    [ani] = await subscribed_on_telegram(client, fake_api, runtime, 1)
    english = on_telegram(client, fake_api, runtime, 7100)
    await english.say("language")
    await english.press("English")
    await english.say("subscribe")
    english.new_texts()
    silent = on_telegram(client, fake_api, runtime, 7200)  # never subscribed
    await silent.say("halo")
    silent.new_texts()
    siti = on_whatsapp(client, graph, runtime, 2)
    await siti.say("langganan")
    away.new_texts(), siti.new_texts()
    web = await WebCitizen.open(client)
    await web.say("langganan")
    await web.read(wait=0)

    office = await admin(client)
    created = await office.created(message={"id": NOTICE, "en": NOTICE_EN})
    assert created["audience_size"] == 5
    await send_all(runtime)

    assert got(ani) == 1
    assert got(english, NOTICE_EN) == 1
    assert silent.new_texts() == []
    assert siti.new_texts() == [NOTICE]
    [template] = away.received()[-1:]
    assert template["template"]["name"] == TEMPLATE
    assert template["template"]["components"][0]["parameters"][0]["text"] == NOTICE
    assert NOTICE in [message["text"] for message in await web.read()]
    shown = await office.show(created["id"])
    assert shown["status"] == "done"
    assert shown["counts"]["sent"] == 5
    assert shown["counts"]["queued"] == 0


@pytest.mark.parametrize("broadcast_template", [None])
async def test_without_a_template_whatsapp_citizens_outside_the_window_are_skipped(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime, clock: ManualClock
) -> None:
    away = on_whatsapp(client, graph, runtime, 1)
    await away.say("langganan")
    clock.advance(DAY_AND_AN_HOUR)
    siti = on_whatsapp(client, graph, runtime, 2)
    await siti.say("langganan")
    away.new_texts(), siti.new_texts()
    office = await admin(client)
    created = await office.created(message={"id": NOTICE})
    await send_all(runtime)
    assert away.new_texts() == []
    assert siti.new_texts() == [NOTICE]
    counts = (await office.show(created["id"]))["counts"]
    assert (counts["sent"], counts["skipped"]) == (1, 1)


async def test_a_survey_broadcast_invites_with_the_start_button(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    [ani] = await subscribed_on_telegram(client, fake_api, runtime, 1)
    office = await admin(client)
    created = await office.created(message={"id": NOTICE}, survey="ikm")
    await send_all(runtime)
    prompt = ani.last_prompt()
    assert prompt["text"].startswith(NOTICE)
    async with runtime.db.connect() as conn:
        [invitation] = (await conn.execute(select(survey_invitations))).all()
    assert (invitation.reason, invitation.broadcast_id) == ("broadcast", created["id"])
    assert invitation.status == "sent"
    # the button's data: "<prompt token>|<choice id>" (a broadcast has no prompt token)
    assert ani.button_data(prompt, "Mulai survei") == f"|survey:ikm:{invitation.id}"


@pytest.mark.parametrize("run_workers", [False])
async def test_who_opts_out_in_the_middle_gets_nothing_more_and_is_counted(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    first, second, third, fourth = await subscribed_on_telegram(client, fake_api, runtime, 4)
    runtime.broadcasts.concurrent_writers = True  # each batch re-checked as on PostgreSQL
    office = await admin(client)
    created = await office.created(message={"id": NOTICE})
    await runtime.broadcasts.run_due(max_batches=1)  # the first two are enqueued, not sent
    await second.say("berhenti")  # a copy already queued: dropped
    await fourth.say("stop")  # not enqueued yet: never will be
    await send_all(runtime)
    assert [got(each) for each in (first, second, third, fourth)] == [1, 0, 1, 0]
    shown = await office.show(created["id"])
    assert shown["counts"]["opted_out"] == 2
    assert shown["counts"]["sent"] == 2
    assert shown["status"] == "done"


@pytest.mark.parametrize("run_workers", [False])
async def test_pause_holds_resume_goes_on_and_cancel_drops_the_rest(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    citizens = await subscribed_on_telegram(client, fake_api, runtime, 5)
    office = await admin(client)
    broadcast_id = (await office.created(message={"id": NOTICE}))["id"]
    assert (await office.act(broadcast_id, "resume")).status_code == 409  # not paused
    await runtime.broadcasts.run_due(max_batches=1)  # two copies queued
    paused = await office.act(broadcast_id, "pause")
    assert paused.json()["status"] == "paused"
    again = await office.act(broadcast_id, "pause")
    assert again.status_code == 409
    assert "paused" in again.json()["detail"]
    await send_all(runtime)  # paused: nothing more enqueued, nothing queued goes out
    assert [got(each) for each in citizens] == [0] * 5
    assert (await office.act(broadcast_id, "resume")).json()["status"] == "sending"
    await settle(runtime)
    assert [got(each) for each in citizens] == [1, 1, 0, 0, 0]
    await runtime.broadcasts.run_due(max_batches=1)  # two more queued
    cancelled = await office.act(broadcast_id, "cancel")
    assert cancelled.json()["status"] == "cancelled"
    await send_all(runtime)
    assert [got(each) for each in citizens] == [0] * 5
    assert (await office.act(broadcast_id, "resume")).status_code == 409
    counts = (await office.show(broadcast_id))["counts"]
    assert (counts["sent"], counts["cancelled"], counts["queued"]) == (2, 2, 0)


async def test_a_cron_broadcast_runs_on_its_schedule_each_subscriber_once_a_run(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, clock: ManualClock
) -> None:
    citizens = await subscribed_on_telegram(client, fake_api, runtime, 3)
    office = await admin(client)
    # 09:00 in Jakarta every day; the clock starts at 10:00 there.
    created = await office.created(message={"id": NOTICE}, cron="0 9 * * *")
    await send_all(runtime)
    assert [got(each) for each in citizens] == [0, 0, 0]
    clock.advance(23 * 3600)  # 09:00 the next day
    await send_all(runtime)
    assert [got(each) for each in citizens] == [1, 1, 1]
    clock.advance(3600)  # the same day: no second run
    await send_all(runtime)
    assert [got(each) for each in citizens] == [0, 0, 0]
    clock.advance(23 * 3600)
    await send_all(runtime)
    assert [got(each) for each in citizens] == [1, 1, 1]
    office = await admin(client)
    shown = await office.show(created["id"])
    assert (shown["status"], shown["run"]) == ("scheduled", 2)
    runs = sorted(
        (row["run"], row["contact_id"]) for row in await recipients(runtime, created["id"])
    )
    assert len(runs) == len(set(runs)) == 6
    assert set((await copies_per_contact(runtime)).values()) == {2}


async def test_a_restart_in_the_middle_goes_on_without_a_duplicate(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, second_app: FastAPI
) -> None:
    citizens = await subscribed_on_telegram(client, fake_api, runtime, 5)
    office = await admin(client)
    created = await office.created(message={"id": NOTICE})
    assert await runtime.broadcasts.run_due(max_batches=1) == 2  # then this process stops
    restarted: Runtime = second_app.state.runtime
    assert await restarted.broadcasts.run_due() == 3
    assert await restarted.broadcasts.run_due() == 0
    await settle(runtime)
    assert [got(each) for each in citizens] == [1] * 5
    copies = await copies_per_contact(runtime)
    assert sorted(copies.values()) == [1] * 5
    assert len(await recipients(runtime, created["id"])) == 5


async def test_a_process_that_died_holding_a_broadcast_is_taken_over_after_its_lease(
    client: httpx.AsyncClient,
    fake_api: FakeBotAPI,
    runtime: Runtime,
    clock: ManualClock,
    second_app: FastAPI,
) -> None:
    citizens = await subscribed_on_telegram(client, fake_api, runtime, 5)
    office = await admin(client)
    created = await office.created(message={"id": NOTICE})
    await runtime.broadcasts.run_due(max_batches=1)
    await settle(runtime)  # those two went out (no send in flight when the clock jumps)
    async with runtime.db.begin() as conn:  # as if it died between batches: its lease stays
        await conn.execute(
            update(broadcasts)
            .where(broadcasts.c.id == created["id"])
            .values(claimed_until=clock.now() + LEASE)
        )
    restarted: Runtime = second_app.state.runtime
    assert await restarted.broadcasts.run_due() == 0  # still held
    clock.advance(LEASE.total_seconds() + 1)
    assert await restarted.broadcasts.run_due() == 3
    await settle(runtime)
    assert [got(each) for each in citizens] == [1] * 5
    assert sorted((await copies_per_contact(runtime)).values()) == [1] * 5


async def test_two_schedulers_racing_never_send_twice(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, second_app: FastAPI
) -> None:
    await subscribed_on_telegram(client, fake_api, runtime, 5)
    office = await admin(client)
    await office.created(message={"id": NOTICE})
    other: Runtime = second_app.state.runtime
    # Both at once: one claims the broadcast and sends it all, the other finds it taken.
    done = await asyncio.gather(runtime.broadcasts.run_due(), other.broadcasts.run_due())
    assert sorted(done) == [0, 5]
    await settle(runtime)
    assert sorted((await copies_per_contact(runtime)).values()) == [1] * 5


async def test_progress_counts_follow_the_platforms_delivery_reports(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    siti, budi = on_whatsapp(client, graph, runtime, 1), on_whatsapp(client, graph, runtime, 2)
    for citizen in (siti, budi):
        await citizen.say("langganan")
    office = await admin(client)
    created = await office.created(message={"id": NOTICE})
    await send_all(runtime)
    ids = [graph.id_of(body) for body in graph.sent() if _is_text(body, NOTICE)]
    assert len(ids) == 2
    await report(siti, ids[0], "delivered")
    await report(siti, ids[1], "read")  # read without delivered first: both count
    await report(siti, ids[1], "delivered")  # late: never goes back
    counts = (await office.show(created["id"]))["counts"]
    assert (counts["sent"], counts["delivered"], counts["read"]) == (2, 2, 1)


async def test_the_audience_narrows_by_channel_language_and_activity(
    client: httpx.AsyncClient,
    fake_api: FakeBotAPI,
    graph: FakeGraphAPI,
    runtime: Runtime,
    clock: ManualClock,
) -> None:
    await on_telegram(client, fake_api, runtime, 7500).say("langganan")
    clock.advance(10 * 86400)
    await on_telegram(client, fake_api, runtime, 7501).say("langganan")
    await on_whatsapp(client, graph, runtime, 1).say("langganan")
    office = await admin(client)
    sizes = [
        (await office.created(audience=audience))["audience_size"]
        for audience in (
            {},
            {"channel": "telegram"},
            {"channel": "whatsapp"},
            {"locale": "en"},
            {"locale": "id", "active_within_days": 3},
        )
    ]
    assert sizes == [3, 2, 1, 0, 2]


def _is_text(body: dict[str, Any], text: str) -> bool:
    return body.get("type") == "text" and body["text"]["body"] == text


async def report(citizen: WhatsAppCitizen, message_id: str, state: str) -> None:
    response = await citizen.post(notification(statuses=[status(message_id, state)]))
    assert response.status_code == 200
    await settle(citizen.runtime)


@pytest.mark.parametrize(
    ("on", "off"), [("/langganan", "/berhenti"), ("/subscribe", "/stop"), ("langganan", "stop")]
)
async def test_citizens_opt_in_and_out_with_the_commands(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime, on: str, off: str
) -> None:
    ani = on_telegram(client, fake_api, runtime, 7300)
    assert any("pengumuman" in text for text in await ani.say(on))
    async with runtime.db.connect() as conn:
        assert (await conn.scalar(select(contacts.c.broadcast_opt_in))) is True
    assert any("tidak akan menerima" in text for text in await ani.say(off))
    async with runtime.db.connect() as conn:
        assert (await conn.scalar(select(contacts.c.broadcast_opt_in))) is False


@pytest.mark.parametrize("run_workers", [False])
async def test_a_conversation_goes_before_the_broadcast_queued_ahead_of_it(
    client: httpx.AsyncClient, fake_api: FakeBotAPI, runtime: Runtime
) -> None:
    await subscribed_on_telegram(client, fake_api, runtime, 4)
    office = await admin(client)
    await office.created(message={"id": NOTICE})
    await runtime.broadcasts.run_due()  # four copies wait in the outbox
    newcomer = on_telegram(client, fake_api, runtime, 7400)
    response = await newcomer.post(text_update(990_001, newcomer.chat_id, "halo"))
    assert response.status_code == 200
    runtime.sender.batch_size = 1  # one send a pass: which goes first?
    assert await runtime.sender.send_due_on("telegram") == 1
    assert int(fake_api.sent()[-1]["chat_id"]) == newcomer.chat_id
    await send_all(runtime)
    assert sum(NOTICE in text for text in fake_api.texts_to(newcomer.chat_id)) == 0
