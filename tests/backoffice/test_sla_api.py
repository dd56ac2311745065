"""SLA clocks over HTTP with a controlled clock: due times, the pause, states, breach alerts.

The clock starts on Friday 27 November 2026, 10:00 WIB (03:00 UTC). A complaint
is due its first answer 3 working days later: Wednesday 2 December, 10:00 WIB.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.scheduler import raise_sla_alerts
from bot.services.casework import CaseStatus
from bot.settings import Settings
from bot.storage.tables import audit_log, sla_alerts
from tests.conftest import ADMIN_PASSWORD, START
from tests.support.duty import GROUP, open_urgent_case
from tests.support.fake_telegram import FakeBotAPI
from tests.support.journeys import file_complaint
from tests.support.office import sign_in
from tests.support.outbox import settle
from tests.support.telegram_citizen import telegram_settings
from tests.support.web import WebCitizen, texts

HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI) -> Settings:
    # Officers stay signed in while the clock runs for weeks.
    return telegram_settings(
        settings, fake_api, duty_telegram_chat_id=str(GROUP), token_ttl_seconds=120 * DAY
    )


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await sign_in(client, "admin", ADMIN_PASSWORD)


async def officer(client: httpx.AsyncClient, runtime: Runtime, role: Role) -> dict[str, str]:
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username=f"sla-{role.value}",
            password="a-long-password",
            role=role,
            full_name=role.value.title(),
            now=runtime.clock.now(),
        )
        await session.commit()
    return await sign_in(client, f"sla-{role.value}", "a-long-password")


async def case_of(client: httpx.AsyncClient, auth: dict[str, str], ref: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/cases/{ref}", headers=auth)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def refs_in_state(client: httpx.AsyncClient, auth: dict[str, str], state: str) -> set[str]:
    response = await client.get("/api/v1/cases", params={"sla": state}, headers=auth)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert all(item["sla_state"] == state for item in items)
    return {item["ref"] for item in items}


async def move(
    client: httpx.AsyncClient, auth: dict[str, str], ref: str, status: CaseStatus
) -> None:
    """A status change through the PATCH route, as an officer makes it."""
    response = await client.patch(
        f"/api/v1/cases/{ref}", json={"status": status.value}, headers=auth
    )
    assert response.status_code == 200, response.text


async def test_a_complaint_is_due_in_working_days_pauses_and_alerts_once_when_breached(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    citizen: WebCitizen,
    admin: dict[str, str],
    fake_api: FakeBotAPI,
) -> None:
    assert clock.now() == START  # Friday 27 Nov 2026, 10:00 WIB
    ref = await file_complaint(citizen)
    case = await case_of(client, admin, ref)
    # Fri 10:00 + 3 working days (Mon 30, Tue 1, Wed 2) = Wed 2 Dec 10:00 WIB = 03:00 UTC.
    assert case["sla_due_at"].startswith("2026-12-02T03:00:00")
    assert case["sla"]["due_at"].startswith("2026-12-02T03:00:00")
    assert case["sla"]["clock"] == "first_response"
    assert case["sla"]["resolution_due_at"].startswith("2027-01-26T03:00:00")  # + 60 days
    assert case["sla_state"] == "ok"
    assert ref in await refs_in_state(client, admin, "ok")

    # Tue 1 Dec 12:00 WIB: within the last fifth (24 of 120 hours) of the allowance.
    clock.advance(4 * DAY + 2 * HOUR)
    assert (await case_of(client, admin, ref))["sla_state"] == "due_soon"
    assert ref in await refs_in_state(client, admin, "due_soon")
    assert ref not in await refs_in_state(client, admin, "ok")

    await move(client, admin, ref, CaseStatus.WAITING_CITIZEN)  # the officer asked the citizen
    assert "kami menunggu keterangan dari Bapak/Ibu" in texts(await citizen.read())
    paused = await case_of(client, admin, ref)
    assert paused["sla_state"] == "paused"
    assert paused["sla"]["waiting_since"].startswith("2026-12-01T05:00:00")
    clock.advance(4 * DAY)  # Sat 5 Dec: the clock stood still past its due time
    assert await raise_sla_alerts(runtime) == 0
    assert ref in await refs_in_state(client, admin, "paused")

    # The citizen answers on Mon 7 Dec 12:00 WIB: paused 12 + 24 + 24 + 24 + 12 working
    # hours (Tue afternoon, Wed, Thu, Fri, Mon morning) = 4 working days, so the first
    # answer is due Wed 2 Dec 10:00 + 4 working days = Tue 8 Dec 10:00 WIB (03:00 UTC);
    # the resolution (calendar days) moves by the 6 days elapsed.
    clock.advance(2 * DAY)
    answered = texts(await citizen.say("Nomor kuitansinya tidak ada pak, saya bayar tunai"))
    assert "ditambahkan" in answered, answered
    resumed = await case_of(client, admin, ref)
    assert resumed["status"] == "in_progress"
    assert resumed["sla"]["waiting_since"] is None
    assert resumed["sla_due_at"].startswith("2026-12-08T03:00:00")
    assert resumed["sla"]["resolution_due_at"].startswith("2027-02-01T03:00:00")
    assert resumed["sla_state"] == "due_soon"

    clock.advance(22 * HOUR + 60)  # Tue 8 Dec 10:01 WIB: one minute late
    assert (await case_of(client, admin, ref))["sla_state"] == "breached"
    assert ref in await refs_in_state(client, admin, "breached")
    assert await raise_sla_alerts(runtime) == 1
    assert await raise_sla_alerts(runtime) == 0  # a second sweep: still one alert
    async with runtime.db.connect() as conn:
        stored = (await conn.execute(select(sla_alerts))).all()
        audited = (
            await conn.execute(select(audit_log).where(audit_log.c.action == "sla.alert"))
        ).all()
    assert len(stored) == 1
    assert len(audited) == 1
    assert audited[0].target == ref

    listed = (await client.get("/api/v1/alerts", headers=admin)).json()
    assert listed["items"] == []  # no duty alert: this is not an emergency
    assert listed["sla_total"] == 1
    [alert] = listed["sla_alerts"]
    assert alert["case_ref"] == ref
    assert alert["clock"] == "first_response"
    assert alert["due_at"].startswith("2026-12-08T03:00:00")
    assert (alert["sends"], alert["case_open"]) == (1, True)
    assert "Budi" not in str(alert)
    officer_view = await client.get(
        "/api/v1/alerts", headers=await officer(client, runtime, Role.OFFICER)
    )
    assert officer_view.json()["sla_alerts"] == []  # a breach alerts the supervisors
    supervisor = await officer(client, runtime, Role.SUPERVISOR)
    assert len((await client.get("/api/v1/alerts", headers=supervisor)).json()["sla_alerts"]) == 1

    await settle(runtime)
    to_group = fake_api.texts_to(GROUP)
    assert len(to_group) == 1
    assert f"Batas waktu tanggapan pertama terlewati: {ref}" in to_group[0]
    assert "8 Des 2026 10.00 WIB" in to_group[0]

    # Answering late meets the clock, but the case stays breached.
    reply = await client.post(
        f"/api/v1/cases/{ref}/replies", json={"text": "Mohon maaf, kami tangani."}, headers=admin
    )
    assert reply.status_code == 201, reply.text
    late = await case_of(client, admin, ref)
    assert late["sla"]["first_response_at"] is not None
    assert late["sla"]["clock"] == "follow_up"
    assert late["sla"]["follow_up_due_at"].startswith("2026-12-15T03:01:00")  # + 5 working days
    assert late["sla_state"] == "breached"
    assert await raise_sla_alerts(runtime) == 0


async def test_a_complaint_answered_and_closed_in_time_met_its_clocks(
    client: httpx.AsyncClient,
    clock: ManualClock,
    citizen: WebCitizen,
    admin: dict[str, str],
) -> None:
    ref = await file_complaint(citizen)
    clock.advance(DAY)
    reply = await client.post(
        f"/api/v1/cases/{ref}/replies", json={"text": "Kami periksa."}, headers=admin
    )
    assert reply.status_code == 201
    answered = await case_of(client, admin, ref)
    assert answered["sla"]["first_response_at"].startswith("2026-11-28T03:00:00")
    assert answered["sla_state"] == "ok"
    clock.advance(DAY)
    closed = await client.post(
        f"/api/v1/cases/{ref}/close", json={"resolution": "Selesai."}, headers=admin
    )
    assert closed.status_code == 200
    assert closed.json()["sla_state"] == "met"
    assert ref in await refs_in_state(client, admin, "met")
    assert ref not in await refs_in_state(client, admin, "breached")


async def test_an_urgent_report_is_due_in_minutes(
    client: httpx.AsyncClient, clock: ManualClock, citizen: WebCitizen, admin: dict[str, str]
) -> None:
    said = texts(await citizen.say("tolong ada begal di jalan sudirman sekarang"))
    assert "110" in said
    listed = (await client.get("/api/v1/cases", headers=admin)).json()["items"]
    [urgent] = [item for item in listed if item["priority"] == "urgent"]
    assert urgent["sla_due_at"].startswith("2026-11-27T03:15:00")  # 15 minutes
    clock.advance(16 * 60)
    assert urgent["ref"] in await refs_in_state(client, admin, "breached")


async def test_an_unknown_sla_state_is_a_4xx(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get("/api/v1/cases", params={"sla": "late"}, headers=admin)
    assert response.status_code == 422


async def test_sp2hp_reminds_monthly_until_an_officer_writes(
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    admin: dict[str, str],
    fake_api: FakeBotAPI,
) -> None:
    _case_id, ref = await open_urgent_case(runtime)
    clock.advance(29 * DAY)
    assert await raise_sla_alerts(runtime) == 0
    clock.advance(DAY)  # 30 days without a word to the reporter
    assert await raise_sla_alerts(runtime) == 1
    assert await raise_sla_alerts(runtime) == 0
    reply = await client.post(
        f"/api/v1/cases/{ref}/replies",
        json={"text": "Perkembangan: saksi diperiksa."},
        headers=admin,
    )
    assert reply.status_code == 201
    # Sent before the clock jumps a month: a send in flight across the jump would
    # outlive its lease and go out again (real sends end within seconds).
    await settle(runtime)
    clock.advance(29 * DAY)
    assert await raise_sla_alerts(runtime) == 0  # a reply starts the month again
    clock.advance(DAY)
    assert await raise_sla_alerts(runtime) == 1
    listed = (await client.get("/api/v1/alerts", headers=admin)).json()["sla_alerts"]
    assert [(a["case_ref"], a["clock"]) for a in listed] == [(ref, "sp2hp"), (ref, "sp2hp")]
    await settle(runtime)
    reminders = [t for t in fake_api.texts_to(GROUP) if "SP2HP" in t]
    assert len(reminders) == 2
    assert all(ref in text for text in reminders)
