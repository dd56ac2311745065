"""A unit tree and officers placed in it, for tests of who sees what (DESIGN §6).

polda (root)
├── propam          internal affairs, made at start
├── polres-a
│   └── polsek-a1
└── polres-b
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.runtime import Runtime
from bot.storage.tables import officers, units
from tests.support.office import sign_in

UNITS_URL = "/api/v1/units"
CASES_URL = "/api/v1/cases"
TREE = (("polres-a", "polda"), ("polsek-a1", "polres-a"), ("polres-b", "polda"))


async def grow_tree(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for code, parent in TREE:
        body = {"code": code, "name": code.upper(), "parent": parent}
        response = await client.post(UNITS_URL, json=body, headers=admin)
        assert response.status_code == 201, response.text


async def officer_in(
    client: httpx.AsyncClient,
    runtime: Runtime,
    *,
    username: str,
    role: Role,
    unit: str | None,
    full_name: str = "",
) -> dict[str, str]:
    """A new officer of `role` in `unit` (None: no unit, the root), signed in."""
    password = f"{username}-password"
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username=username,
            password=password,
            role=role,
            full_name=full_name or username.title(),
            now=runtime.clock.now(),
        )
        await session.commit()
    if unit is not None:
        async with runtime.db.begin() as conn:
            unit_id = (await conn.execute(select(units.c.id).where(units.c.code == unit))).scalar()
            assert unit_id is not None, unit
            await conn.execute(
                update(officers).where(officers.c.username == username).values(unit_id=unit_id)
            )
    return await sign_in(client, username, password)


async def move(client: httpx.AsyncClient, admin: dict[str, str], ref: str, unit: str) -> None:
    response = await client.patch(f"{CASES_URL}/{ref}", json={"unit": unit}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["unit"] == unit


async def refs_listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[str]:
    response = await client.get(CASES_URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])  # the tests' queues fit one page
    return [item["ref"] for item in body["items"]]
