"""Possible duplicates as officers see them over HTTP: in the case detail and the queue."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from tests.support.incidents import file_report

CASES_URL = "/api/v1/cases"
OFFICER_PASSWORD = "officer-password-1"


@pytest.fixture
async def headers(client: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    """An officer's (not an admin's) authorization header."""
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username="siti",
            password=OFFICER_PASSWORD,
            role=Role.OFFICER,
            full_name="Siti",
            now=runtime.clock.now(),
        )
        await session.commit()
    response = await client.post(
        "/api/v1/auth/token", data={"username": "siti", "password": OFFICER_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def get(client: httpx.AsyncClient, headers: dict[str, str], url: str, **params: Any) -> Any:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_detail_lists_possible_duplicates_both_ways(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    first = await file_report(runtime, status="closed")
    clock.advance(10 * 60)
    second = await file_report(runtime, "ada kecelakaan motor vs truk di simpang jakabaring")
    clock.advance(10 * 60)
    third = await file_report(runtime, "motor ditabrak truk", km_north=0.3)
    elsewhere = await file_report(runtime, km_north=5.0)

    detail = await get(client, headers, f"{CASES_URL}/{second.ref}")

    duplicates = detail["possible_duplicates"]
    assert sorted(d["ref"] for d in duplicates) == sorted([first.ref, third.ref])
    assert all(set(d) == {"ref", "score", "created_at", "status"} for d in duplicates)
    assert duplicates == sorted(duplicates, key=lambda d: -d["score"])
    by_ref = {d["ref"]: d for d in duplicates}
    assert by_ref[first.ref]["status"] == "closed"
    assert by_ref[third.ref]["status"] == "new"
    assert all(0 < d["score"] <= 100 for d in duplicates)
    first_detail = await get(client, headers, f"{CASES_URL}/{first.ref}")
    assert by_ref[first.ref]["created_at"] == first_detail["created_at"]
    assert sorted(d["ref"] for d in first_detail["possible_duplicates"]) == sorted(
        [second.ref, third.ref]
    )
    lonely = await get(client, headers, f"{CASES_URL}/{elsewhere.ref}")
    assert lonely["possible_duplicates"] == []
    assert lonely["messages"] == []
    assert lonely["location"]["latitude"] is not None


async def test_the_queue_counts_duplicates_of_every_item_on_the_page(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    reports = []
    for description in ("tabrakan motor sama truk", "kecelakaan truk dan motor", "laka motor"):
        reports.append(await file_report(runtime, description))
        clock.advance(5 * 60)
    theft = await file_report(runtime, "jambret hp di simpang jakabaring", category="theft")
    clock.advance(60)
    complaint = await file_report(runtime, kind="complaint", category="officer_conduct")

    body = await get(client, headers, CASES_URL)
    second_page = await get(client, headers, CASES_URL, page=2, per_page=2)

    counts = {item["ref"]: item["duplicate_count"] for item in body["items"]}
    assert counts == {
        reports[0].ref: 2,
        reports[1].ref: 2,
        reports[2].ref: 2,
        theft.ref: 0,
        complaint.ref: 0,
    }
    assert [(i["ref"], i["duplicate_count"]) for i in second_page["items"]] == [
        (reports[2].ref, 2),
        (reports[1].ref, 2),
    ]
    item = body["items"][-1]
    assert {"ref", "kind", "status", "description", "created_at", "channel", "location"} <= set(
        item
    )
    assert item["location"]["latitude"] is not None


async def test_the_queue_filtered_to_incidents_keeps_its_counts(
    client: httpx.AsyncClient, headers: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    first = await file_report(runtime)
    clock.advance(60)
    second = await file_report(runtime)

    body = await get(client, headers, CASES_URL, kind="incident", status="new")

    assert [(i["ref"], i["duplicate_count"]) for i in body["items"]] == [
        (second.ref, 1),
        (first.ref, 1),
    ]
