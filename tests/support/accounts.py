"""Accounts as the officers API makes them: units to put officers in, and signing in."""

from __future__ import annotations

from typing import Any

import httpx

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import units

OFFICERS_URL = "/api/v1/officers"


async def add_unit(
    runtime: Runtime, clock: ManualClock, code: str, parent: str | None = None
) -> int:
    """A unit straight in the table (its API belongs to the units' own tests)."""
    async with runtime.db.begin() as conn:
        parent_id = None
        if parent is not None:
            parent_id = (await conn.execute(units.select().where(units.c.code == parent))).one().id
        inserted = await conn.execute(
            units.insert()
            .values(code=code, name=code.title(), parent_id=parent_id, created_at=clock.now())
            .returning(units.c.id)
        )
        return int(inserted.scalar_one())


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )


def bearer(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def create_officer(
    client: httpx.AsyncClient, admin: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(OFFICERS_URL, json=body, headers=admin)
