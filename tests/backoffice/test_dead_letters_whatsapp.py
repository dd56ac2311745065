"""A WhatsApp notification kept as a dead letter, replayed through the
WhatsApp intake: the citizen is answered, and a second replay does nothing."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from bot.domain.clock import ManualClock
from bot.outbox.deadletters import bury_now
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import conversations, dead_letters
from tests.conftest import ADMIN_PASSWORD
from tests.support.accounts import bearer, login
from tests.support.fake_whatsapp import FakeGraphAPI, message, notification, profile
from tests.support.outbox import settle
from tests.support.whatsapp_citizen import whatsapp_settings

BSUID, WA_ID = "ID.4242", "6281200004242"


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphAPI) -> Settings:
    return whatsapp_settings(settings, graph)


async def test_a_replayed_whatsapp_notification_reaches_the_conversation_once(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, graph: FakeGraphAPI
) -> None:
    said = message("text", user_id=BSUID, wa_id=WA_ID, text={"body": "halo"})
    payload = notification(messages=[said], contacts=[profile(user_id=BSUID, wa_id=WA_ID)])
    await bury_now(
        runtime.db,
        source="whatsapp:webhook",
        reason="message could not be handled: OperationalError",
        payload=json.dumps(payload),
        now=clock.now(),
    )
    async with runtime.db.connect() as conn:
        letter = (await conn.execute(select(func.max(dead_letters.c.id)))).scalar_one()
    admin = bearer(await login(client, "admin", ADMIN_PASSWORD))

    assert (
        await client.post(f"/api/v1/dead-letters/{letter}/replay", headers=admin)
    ).status_code == 200
    await settle(runtime)
    answered = len(graph.sent_to(wa_id=WA_ID, user_id=BSUID))
    assert answered >= 1
    assert (
        await client.post(f"/api/v1/dead-letters/{letter}/replay", headers=admin)
    ).status_code == 409
    await settle(runtime)
    assert len(graph.sent_to(wa_id=WA_ID, user_id=BSUID)) == answered
    async with runtime.db.connect() as conn:
        assert (
            await conn.execute(select(func.count()).select_from(conversations))
        ).scalar_one() == 1
