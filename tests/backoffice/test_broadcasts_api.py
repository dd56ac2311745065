"""`/api/v1/broadcasts`: who may, what is refused and why, the second admin's approval."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import audit_log
from tests.conftest import ADMIN_PASSWORD
from tests.support.broadcasts import Broadcasts, second_admin, send_all
from tests.support.office import officer_with_role, sign_in
from tests.support.web import WebCitizen


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"broadcast_approval_min": 2})


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> Broadcasts:
    return Broadcasts(client, await sign_in(client, "admin", ADMIN_PASSWORD))


async def subscriber(client: httpx.AsyncClient) -> WebCitizen:
    citizen = await WebCitizen.open(client)
    await citizen.say("langganan")
    return citizen


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"message": {"id": " ", "en": ""}}, "at least one language"),
        ({"message": {"id": "x" * 3001}}, "at most 3000"),
        ({"message": {"jv": "Sugeng"}}, "'id' or 'en'"),
        ({"survey": "kepuasan"}, "unknown survey"),
        ({"cron": "61 * * * *"}, "not valid"),
        ({"cron": "every day"}, "not valid"),
        ({"send_at": "2026-11-27T09:00:00+07:00"}, "in the past"),
        ({"send_at": "2026-12-01T09:00:00"}, "UTC offset"),
        ({"audience": {"channel": "sms"}}, "'telegram', 'whatsapp' or 'web'"),
        ({"audience": {"channel": "telegram"}}, "not on in this service"),
        ({"audience": {"locale": "fr"}}, "'id' or 'en'"),
        ({"audience": {"active_within_days": 0}}, "greater than or equal to 1"),
        ({"audience": {"everyone": True}}, "Extra inputs"),
    ],
)
async def test_an_invalid_broadcast_is_refused_with_the_reason(
    admin: Broadcasts, body: dict[str, Any], reason: str
) -> None:
    response = await admin.create(**body)
    assert response.status_code == 422
    assert reason in response.text


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
async def test_only_admins_handle_broadcasts(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, admin: Broadcasts, role: Role
) -> None:
    created = await admin.created()
    other = Broadcasts(client, await officer_with_role(client, runtime, clock, role))
    assert (await other.create()).status_code == 403
    assert (await client.get("/api/v1/broadcasts", headers=other.headers)).status_code == 403
    for action in ("approve", "pause", "resume", "cancel"):
        assert (await other.act(created["id"], action)).status_code == 403
    assert (await client.post("/api/v1/broadcasts", json={})).status_code == 401


async def test_a_small_audience_is_scheduled_at_once(
    client: httpx.AsyncClient, admin: Broadcasts
) -> None:
    await subscriber(client)
    await WebCitizen.open(client)  # never subscribed: not in the audience
    created = await admin.created(send_at="2026-11-27T12:00:00+07:00")
    assert created["status"] == "scheduled"
    assert created["audience_size"] == 1
    shown = await admin.show(created["id"])
    assert shown["counts"] == dict.fromkeys(
        ("queued", "sent", "delivered", "read", "failed", "opted_out", "skipped", "cancelled"), 0
    )
    listed = (await client.get("/api/v1/broadcasts", headers=admin.headers)).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]


async def test_a_large_audience_waits_for_a_second_admin_and_never_for_its_author(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, admin: Broadcasts
) -> None:
    first, second = await subscriber(client), await subscriber(client)
    created = await admin.created(message={"id": "Operasi Zebra mulai Senin."})
    assert created == {"id": created["id"], "status": "awaiting_approval", "audience_size": 2}
    await send_all(runtime)
    assert await first.read(wait=0) == []  # nothing goes out before approval
    refused = await admin.act(created["id"], "approve")
    assert refused.status_code == 403
    assert "author" in refused.json()["detail"]
    other = Broadcasts(client, await second_admin(client, runtime, clock))
    approved = await other.act(created["id"], "approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "scheduled"
    again = await other.act(created["id"], "approve")
    assert again.status_code == 409
    assert "not awaiting approval" in again.json()["detail"]
    await send_all(runtime)
    for citizen in (first, second):
        assert "Operasi Zebra mulai Senin." in [m["text"] for m in await citizen.read()]
    assert (await admin.show(created["id"]))["status"] == "done"
    async with runtime.db.connect() as conn:
        actions = (await conn.execute(select(audit_log.c.action, audit_log.c.target))).all()
    target = str(created["id"])
    assert ("broadcast.create", target) in actions
    assert ("broadcast.approve", target) in actions


async def test_unknown_broadcasts_are_404(admin: Broadcasts, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/broadcasts/999", headers=admin.headers)
    assert response.status_code == 404
    assert (await admin.act(999, "pause")).status_code == 404
    assert (await admin.act(999, "approve")).status_code == 404
