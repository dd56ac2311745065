"""Every look at a named reporter's personal data is on the record: who, what,
when, which case; the audit log itself is for admins."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import contacts
from tests.support.journeys import file_complaint
from tests.support.office import officer_with_role
from tests.support.web import WebCitizen

AUDIT_URL = "/api/v1/audit"


SERVICE = "Pelayanan publik"


async def test_views_of_named_reporters_are_audited_and_anonymous_ones_marked_apart(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    # Complaints an officer of the root unit sees (about an officer's conduct would go to propam).
    named = await file_complaint(await WebCitizen.open(client), category=SERVICE)
    anonymous = await file_complaint(
        await WebCitizen.open(client), anonymous=True, category=SERVICE
    )
    async with runtime.db.begin() as conn:
        await conn.execute(update(contacts).values(display_name="Siti Aminah"))
    officer = await officer_with_role(client, runtime, clock, Role.OFFICER)
    admin = await officer_with_role(client, runtime, clock, Role.ADMIN)

    clock.advance(60)
    seen = await client.get(f"/api/v1/cases/{named}", headers=officer)
    assert seen.json()["reporter"] == {"display_name": "Siti Aminah"}
    await client.get(f"/api/v1/cases/{anonymous}", headers=officer)
    listed = await client.get("/api/v1/cases", headers=officer)
    assert listed.json()["total"] == 2

    views = await client.get(AUDIT_URL, params={"action": "case.view"}, headers=admin)
    assert views.status_code == 200
    assert [
        (item["actor"], item["target"], item["detail"], item["created_at"])
        for item in views.json()["items"]
    ] == [
        ("officer", anonymous, {"personal_data": False}, "2026-11-27T03:01:00Z"),
        ("officer", named, {"personal_data": True}, "2026-11-27T03:01:00Z"),
    ]
    [listing] = (
        await client.get(AUDIT_URL, params={"action": "cases.list"}, headers=admin)
    ).json()["items"]
    assert listing["detail"]["named_shown"] == 1
    by_case = await client.get(AUDIT_URL, params={"target": named}, headers=admin)
    assert [item["action"] for item in by_case.json()["items"]] == ["case.view"]
    assert "Siti" not in (await client.get(AUDIT_URL, headers=admin)).text
