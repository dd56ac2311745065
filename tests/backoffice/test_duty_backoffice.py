"""Duty alerts in the back-office, with no duty group configured (back-office only)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log, outbox
from tests.conftest import ADMIN_PASSWORD
from tests.support.duty import alert_of, open_urgent_case


async def signed_in(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def audit_entries(runtime: Runtime, action: str) -> list[Any]:
    async with runtime.db.connect() as conn:
        found = await conn.execute(select(audit_log).where(audit_log.c.action == action))
        return list(found.all())


async def test_without_a_duty_group_alerts_are_recorded_and_escalate_in_the_backoffice(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    assert runtime.duty.group_chat_id is None
    case_id, ref = await open_urgent_case(runtime)
    clock.advance(180)
    assert await runtime.duty.escalate_due() == 1
    stored = await alert_of(runtime, case_id)
    assert (stored.sends, stored.escalation_level) == (0, 1)
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 0

    auth = await signed_in(client)
    listed = (await client.get("/api/v1/alerts", headers=auth)).json()
    assert listed["total"] == 1
    [item] = listed["items"]
    assert item["case_ref"] == ref
    assert item["category"] == "violence"
    assert (item["desk"], item["desk_name"]) == ("polda-sumsel", "SPKT Polda Sumsel")
    assert item["raised_at"].startswith("2026-11-27T03:00:00")
    assert (item["sends"], item["escalation_level"], item["open"]) == (0, 1, True)
    assert item["acknowledged_by"] is None
    assert set(item) == {
        "id",
        "case_ref",
        "category",
        "desk",
        "desk_name",
        "raised_at",
        "sends",
        "escalation_level",
        "next_send_at",
        "open",
        "acknowledged_at",
        "acknowledged_by",
        "location_sent_at",
    }  # nothing about the citizen
    [escalated] = await audit_entries(runtime, "alert.escalated")
    assert json.loads(escalated.detail) == {
        "alert_id": item["id"],
        "desk": "polda-sumsel",
        "level": 1,
        "minutes_open": 3,
    }


async def test_an_officer_acknowledges_once_and_it_is_audited(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    case_id, ref = await open_urgent_case(runtime)
    alert_id = (await alert_of(runtime, case_id)).id
    assert (await client.post(f"/api/v1/alerts/{alert_id}/ack")).status_code == 401
    assert (await client.get("/api/v1/alerts")).status_code == 401
    auth = await signed_in(client)
    clock.advance(60)

    response = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["open"], body["acknowledged_by"]) == (False, "admin")
    assert body["acknowledged_at"].startswith("2026-11-27T03:01:00")
    assert body["next_send_at"] is None
    again = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth)
    assert again.status_code == 409
    assert "acknowledged by admin" in again.json()["detail"]
    assert (await client.post("/api/v1/alerts/424242/ack", headers=auth)).status_code == 404

    [entry] = await audit_entries(runtime, "alert.ack")
    assert (entry.actor, entry.target) == ("admin", ref)
    assert json.loads(entry.detail) == {"alert_id": alert_id, "escalation_level": 0}
    clock.advance(3600)
    assert await runtime.duty.escalate_due() == 0


async def test_the_list_shows_open_alerts_first_and_recent_acknowledged_ones(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    auth = await signed_in(client)
    old_case, old_ref = await open_urgent_case(runtime)
    old_id = (await alert_of(runtime, old_case)).id
    await client.post(f"/api/v1/alerts/{old_id}/ack", headers=auth)
    clock.advance(3600)
    _open_case, open_ref = await open_urgent_case(runtime)
    acked_case, acked_ref = await open_urgent_case(runtime)
    acked_id = (await alert_of(runtime, acked_case)).id
    await client.post(f"/api/v1/alerts/{acked_id}/ack", headers=auth)

    listed = (await client.get("/api/v1/alerts", headers=auth)).json()
    assert [item["case_ref"] for item in listed["items"]] == [open_ref, acked_ref, old_ref]
    only_open = (await client.get("/api/v1/alerts?open=true", headers=auth)).json()
    assert [item["case_ref"] for item in only_open["items"]] == [open_ref]
    clock.advance(23.5 * 3600)  # the first acknowledged alert is now older than 24 hours
    auth = await signed_in(client)  # the earlier token expired meanwhile
    recent = (await client.get("/api/v1/alerts", headers=auth)).json()
    assert [item["case_ref"] for item in recent["items"]] == [open_ref, acked_ref]
    paged = (await client.get("/api/v1/alerts?per_page=1&page=2", headers=auth)).json()
    assert (paged["total"], [i["case_ref"] for i in paged["items"]]) == (2, [acked_ref])
    assert (await client.get("/api/v1/alerts?per_page=0", headers=auth)).status_code == 422
