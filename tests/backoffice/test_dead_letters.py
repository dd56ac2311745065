"""Dead letters for admins: listed, inspected (an audited look at what may be
personal data) and replayed through the way in they came from, once."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.outbox.deadletters import bury_now
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import audit_log, contacts, conversations, dead_letters
from tests.conftest import ADMIN_PASSWORD
from tests.support.accounts import bearer, login
from tests.support.fake_telegram import FakeBotAPI, Scripted, text_update
from tests.support.office import officer_with_role
from tests.support.outbox import settle
from tests.support.telegram_citizen import SECRET, next_update_id, telegram_settings

URL = "/api/v1/dead-letters"
CHAT = 424_242


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    # one attempt: a send the platform refuses is a dead letter at once
    return telegram_settings(settings, fake_api, outbox_max_attempts=1)


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, "admin", ADMIN_PASSWORD))


async def count(runtime: Runtime, table: object) -> int:
    async with runtime.db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def a_lost_update(runtime: Runtime, clock: ManualClock) -> int:
    """A citizen's first message, kept as a dead letter as if handling it had failed."""
    update = text_update(next_update_id(), CHAT, "halo, saya mau bertanya")
    await bury_now(
        runtime.db,
        source="telegram:webhook",
        reason="message could not be handled: OperationalError",
        payload=json.dumps(update),
        now=clock.now(),
    )
    async with runtime.db.connect() as conn:
        return int((await conn.execute(select(func.max(dead_letters.c.id)))).scalar_one())


async def test_replaying_a_telegram_update_hands_it_in_once(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    runtime: Runtime,
    clock: ManualClock,
    fake_api: FakeBotAPI,
) -> None:
    letter = await a_lost_update(runtime, clock)
    assert await count(runtime, conversations) == 0
    clock.advance(60)

    replayed = await client.post(f"{URL}/{letter}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replayed_at"] == clock.now().isoformat().replace("+00:00", "Z")
    await settle(runtime)
    assert await count(runtime, contacts) == 1
    assert await count(runtime, conversations) == 1
    assert fake_api.texts_to(CHAT), "the citizen is answered at last"

    clock.advance(60)
    again = await client.post(f"{URL}/{letter}/replay", headers=admin)
    assert again.status_code == 409
    assert "was replayed at" in again.json()["detail"]
    shown = (await client.get(f"{URL}/{letter}", headers=admin)).json()
    assert shown["replayed_at"] == replayed.json()["replayed_at"], "unchanged"
    await settle(runtime)
    assert len(fake_api.texts_to(CHAT)) == 1, "answered once"
    assert (await client.post(f"{URL}/999/replay", headers=admin)).status_code == 404


async def test_listed_without_payloads_and_inspected_with_it_audited(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    junk = await client.post(
        "/webhooks/telegram",
        content=b'{"update_id": "x", "nama": "Siti"}',
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"},
    )
    assert junk.status_code == 200
    letter = await a_lost_update(runtime, clock)

    listed = await client.get(URL, headers=admin)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert [item["id"] for item in body["items"]] == [letter, letter - 1], "newest first"
    assert body["items"][1]["source"] == "telegram:webhook"
    assert body["items"][1]["reason"].startswith("unparseable update")
    assert "payload" not in body["items"][0]
    assert "Siti" not in listed.text
    assert (await client.get(URL, params={"replayed": True}, headers=admin)).json()["total"] == 0
    assert (await client.get(URL, params={"per_page": 1, "page": 2}, headers=admin)).json()[
        "items"
    ][0]["id"] == letter - 1

    shown = await client.get(f"{URL}/{letter - 1}", headers=admin)
    assert shown.status_code == 200
    assert shown.json()["payload"] == '{"update_id": "x", "nama": "Siti"}'
    async with runtime.db.connect() as conn:
        entries = (
            await conn.execute(
                select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail).where(
                    audit_log.c.action == "dead_letter.view"
                )
            )
        ).all()
    assert [tuple(entry) for entry in entries] == [
        ("admin", str(letter - 1), '{"personal_data": true, "source": "telegram:webhook"}')
    ]
    assert (await client.get(f"{URL}/{2**63 + 1}", headers=admin)).status_code == 422
    assert (await client.get(f"{URL}/12345", headers=admin)).status_code == 404


async def test_a_letter_from_no_platform_is_not_replayed(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    await bury_now(
        runtime.db, source="web:webhook", reason="odd", payload="Said(...)", now=clock.now()
    )
    [letter] = (await client.get(URL, headers=admin)).json()["items"]
    refused = await client.post(f"{URL}/{letter['id']}/replay", headers=admin)
    assert refused.status_code == 409
    assert "cannot be replayed" in refused.json()["detail"]
    assert (await client.get(f"{URL}/{letter['id']}", headers=admin)).json()["replayed_at"] is None


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
async def test_only_admins_handle_dead_letters(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, role: Role
) -> None:
    letter = await a_lost_update(runtime, clock)
    headers = await officer_with_role(client, runtime, clock, role)
    for response in (
        await client.get(URL, headers=headers),
        await client.get(f"{URL}/{letter}", headers=headers),
        await client.post(f"{URL}/{letter}/replay", headers=headers),
    ):
        assert response.status_code == 403
    assert (await client.get(URL)).status_code == 401
    assert await count(runtime, conversations) == 0


async def test_replaying_a_message_the_platform_refused_sends_it_again(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    runtime: Runtime,
    clock: ManualClock,
    fake_api: FakeBotAPI,
) -> None:
    letter = await a_lost_update(runtime, clock)
    fake_api.fail_next("sendMessage", Scripted(status=400, description="Bad Request: odd"))
    assert (await client.post(f"{URL}/{letter}/replay", headers=admin)).status_code == 200
    await settle(runtime)
    assert fake_api.texts_to(CHAT) == []
    [refused] = (await client.get(URL, params={"replayed": False}, headers=admin)).json()["items"]
    assert refused["source"].startswith("outbox:telegram:")

    replayed = await client.post(f"{URL}/{refused['id']}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    await settle(runtime)
    assert len(fake_api.texts_to(CHAT)) == 1, "sent at last"
    assert (await client.get(URL, params={"replayed": False}, headers=admin)).json()["total"] == 0
