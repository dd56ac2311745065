"""The other side of a journey: what is stored, and what officers do through the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.officers import Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import alerts, case_messages, cases, contacts, media, subscriptions
from tests.conftest import ADMIN_PASSWORD

Row = dict[str, Any]


@dataclass
class Office:
    http: httpx.AsyncClient
    runtime: Runtime
    _auth: dict[str, str] = field(default_factory=dict)

    async def rows(self, table: Any, *where: Any) -> list[Row]:
        async with self.runtime.db.connect() as conn:
            found = await conn.execute(select(table).where(*where).order_by(table.c[0]))
            return [dict(row._mapping) for row in found]

    async def cases(self) -> list[Row]:
        return await self.rows(cases)

    async def case(self, ref: str) -> Row:
        [found] = await self.rows(cases, cases.c.ref == ref)
        return found

    async def media_of(self, case_id: int) -> list[Row]:
        return await self.rows(media, media.c.case_id == case_id)

    async def messages_of(self, case_id: int) -> list[Row]:
        return await self.rows(case_messages, case_messages.c.case_id == case_id)

    async def alerts(self) -> list[Row]:
        return await self.rows(alerts)

    async def subscriptions(self) -> list[Row]:
        return await self.rows(subscriptions)

    async def contact(self, channel: str) -> Row:
        [found] = await self.rows(contacts, contacts.c.channel == channel)
        return found

    async def headers(self) -> dict[str, str]:
        if not self._auth:
            form = {"username": "admin", "password": ADMIN_PASSWORD}
            response = await self.http.post("/api/v1/auth/token", data=form)
            assert response.status_code == 200, response.text
            self._auth = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self._auth

    async def put_application(
        self,
        kind: str,
        number: str,
        *,
        status: str,
        note: str | None = None,
        completed: bool = False,
    ) -> int:
        body = {
            "status": status,
            "applicant_name": "Budi Santoso",
            "birth_date": "1990-08-17",
            "note": note,
            "completed": completed,
        }
        response = await self.http.put(
            f"/api/v1/applications/{kind}/{number}", json=body, headers=await self.headers()
        )
        assert response.status_code in (200, 201), response.text
        return response.status_code

    async def close(self, ref: str, resolution: str) -> None:
        response = await self.http.post(
            f"/api/v1/cases/{ref}/close",
            json={"resolution": resolution},
            headers=await self.headers(),
        )
        assert response.status_code == 200, response.text


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def officer_with_role(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, role: Role
) -> dict[str, str]:
    if role is Role.ADMIN:
        return await sign_in(client, "admin", ADMIN_PASSWORD)
    async with AsyncSession(runtime.db) as session:
        await add_officer(
            session,
            username=role.value,
            password=f"{role.value}-password",
            role=role,
            full_name=role.value.title(),
            now=clock.now(),
        )
        await session.commit()
    return await sign_in(client, role.value, f"{role.value}-password")
