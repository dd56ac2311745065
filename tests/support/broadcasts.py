"""Broadcasts as admins schedule them through the API, and what they left in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.services.broadcasts import BROADCAST_PRIORITY
from bot.storage.tables import broadcast_recipients, outbox
from tests.support.office import sign_in
from tests.support.outbox import settle

SECOND_ADMIN = "admin2"
SECOND_ADMIN_PASSWORD = "admin2-password"


@dataclass
class Broadcasts:
    """One admin's side of `/api/v1/broadcasts`."""

    http: httpx.AsyncClient
    headers: dict[str, str]

    async def create(self, **body: Any) -> httpx.Response:
        body.setdefault("message", {"id": "Pengumuman dari Polres.", "en": "A notice."})
        return await self.http.post("/api/v1/broadcasts", json=body, headers=self.headers)

    async def created(self, **body: Any) -> dict[str, Any]:
        response = await self.create(**body)
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found

    async def act(self, broadcast_id: int, action: str) -> httpx.Response:
        url = f"/api/v1/broadcasts/{broadcast_id}/{action}"
        return await self.http.post(url, headers=self.headers)

    async def show(self, broadcast_id: int) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/broadcasts/{broadcast_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


async def second_admin(
    http: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> dict[str, str]:
    """Headers of another admin than the first."""
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username=SECOND_ADMIN,
            password=SECOND_ADMIN_PASSWORD,
            role=Role.ADMIN,
            full_name="Admin Dua",
            now=clock.now(),
        )
        await session.commit()
    return await sign_in(http, SECOND_ADMIN, SECOND_ADMIN_PASSWORD)


async def send_all(runtime: Runtime) -> None:
    """What the scheduler's broadcast job does, then the outbox emptied; twice, so a
    one-off broadcast whose copies all went out is marked done."""
    for _ in range(2):
        await runtime.broadcasts.run_due()
        await settle(runtime)


async def copies_per_contact(runtime: Runtime) -> dict[int, int]:
    """contact id -> outbox rows at the broadcasts' priority (every broadcast, every run),
    whether or not a recipient row points at them."""
    query = (
        select(outbox.c.contact_id, func.count())
        .where(outbox.c.priority == BROADCAST_PRIORITY)
        .group_by(outbox.c.contact_id)
    )
    async with runtime.db.connect() as conn:
        return {contact: number for contact, number in (await conn.execute(query)).all()}


async def recipients(runtime: Runtime, broadcast_id: int) -> list[dict[str, Any]]:
    query = (
        select(broadcast_recipients)
        .where(broadcast_recipients.c.broadcast_id == broadcast_id)
        .order_by(broadcast_recipients.c.id)
    )
    async with runtime.db.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(query)]
