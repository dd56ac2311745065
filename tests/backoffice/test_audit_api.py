"""The audit log as admins read it, including what the service wrote itself."""

from __future__ import annotations

import httpx

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen, texts

NUMBER = "SKCK/777/XI/2026"


async def guess(citizen: WebCitizen, born: str) -> str:
    await citizen.say("status")
    await citizen.press("SKCK")
    await citizen.say(NUMBER)
    return texts(await citizen.say(born))


async def test_a_number_paused_by_guessers_is_in_the_audit_log(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    for _ in range(2):  # two chats, five wrong guesses each: the number's limit of ten
        guesser = await WebCitizen.open(client)
        for day in range(1, 6):
            assert "tidak menemukan" in await guess(guesser, f"{day:02d}-01-1990")
            clock.advance(10)
    admin = await officer_with_role(client, runtime, clock, Role.ADMIN)
    response = await client.get(
        "/api/v1/audit", params={"action": "application.lookup_paused"}, headers=admin
    )
    assert response.status_code == 200, response.text
    [entry] = response.json()["items"]
    assert entry["actor"] == "pintu"
    assert entry["target"] == f"skck:{NUMBER}"
    assert entry["detail"]["failures"] == 10
    assert response.json()["total"] == 1


async def test_newest_first_filtered_and_paged(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    admin = await officer_with_role(client, runtime, clock, Role.ADMIN)
    for _ in range(3):
        clock.advance(1)
        await officer_with_role(client, runtime, clock, Role.ADMIN)  # signs in again
    logins = await client.get(
        "/api/v1/audit", params={"action": "auth.login", "per_page": 2}, headers=admin
    )
    body = logins.json()
    assert body["total"] == 4
    assert [item["action"] for item in body["items"]] == ["auth.login", "auth.login"]
    assert body["items"][0]["created_at"] > body["items"][1]["created_at"]
    bad = await client.get("/api/v1/audit", params={"action": "no.such"}, headers=admin)
    assert bad.status_code == 422


async def test_officers_and_supervisors_may_not_read_it(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    for role in (Role.OFFICER, Role.SUPERVISOR):
        headers = await officer_with_role(client, runtime, clock, role)
        refused = await client.get("/api/v1/audit", headers=headers)
        assert refused.status_code == 403
        assert "only admins" in refused.json()["detail"]
    assert (await client.get("/api/v1/audit")).status_code == 401
