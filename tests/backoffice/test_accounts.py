"""Officer accounts over HTTP: admins manage them; disabling and new passwords
refuse tokens at once; signing out; the last active admin is kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backoffice.officers import Role
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log, officer_tokens
from tests.conftest import ADMIN_PASSWORD
from tests.support.accounts import OFFICERS_URL, add_unit, bearer, create_officer, login
from tests.support.office import officer_with_role

CASES_URL = "/api/v1/cases"
BUDI = {"username": "budi", "password": "budi-rahasia-1", "role": "officer"}


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client, "admin", ADMIN_PASSWORD))


async def audit_actions(runtime: Runtime) -> list[tuple[str, str, str | None, str]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(
                audit_log.c.actor, audit_log.c.action, audit_log.c.target, audit_log.c.detail
            ).order_by(audit_log.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_an_admin_creates_lists_and_changes_officers(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime, clock: ManualClock
) -> None:
    await add_unit(runtime, clock, "polres-palembang")
    created = await create_officer(
        client, admin, **BUDI, unit="polres-palembang", full_name="Budi Santoso"
    )
    assert created.status_code == 201, created.text
    assert created.json() | {"created_at": None} == {
        "username": "budi",
        "full_name": "Budi Santoso",
        "role": "officer",
        "unit": "polres-palembang",
        "active": True,
        "created_at": None,
    }
    assert "password" not in created.text
    assert "budi-rahasia-1" not in created.text

    root = await create_officer(client, admin, **(BUDI | {"username": "siti", "unit": "polda"}))
    assert (root.status_code, root.json()["unit"]) == (201, "polda"), "the root, row or not"

    listed = await client.get(OFFICERS_URL, headers=admin)
    assert listed.status_code == 200
    assert [(o["username"], o["role"], o["unit"]) for o in listed.json()["items"]] == [
        ("admin", "admin", "polda"),  # without a unit: the root
        ("budi", "officer", "polres-palembang"),
        ("siti", "officer", "polda"),
    ]
    assert listed.json()["total"] == 3

    await add_unit(runtime, clock, "polsek-ilir-timur", parent="polres-palembang")
    changed = await client.patch(
        f"{OFFICERS_URL}/Budi",
        json={"role": "supervisor", "unit": "polsek-ilir-timur"},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["unit"]) == ("supervisor", "polsek-ilir-timur")
    actions = await audit_actions(runtime)
    assert ("admin", "officer.add", "budi", '{"role": "officer", "unit": "polres-palembang"}') in (
        actions
    )
    assert (
        "admin",
        "officer.update",
        "budi",
        '{"role": "supervisor", "unit": "polsek-ilir-timur"}',
    ) in actions


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"password": "short"}, "at least 8"),
        ({"password": "password123"}, "guesser"),
        ({"password": "aaaaaaaaaaaa"}, "different characters"),
        ({"password": "budi"}, "at least 8"),
        ({"username": "Budi Santoso"}, "username"),
        ({"unit": "polres-nowhere"}, "no unit"),
    ],
)
async def test_bad_officers_are_422_with_a_reason(
    client: httpx.AsyncClient, admin: dict[str, str], change: dict[str, str], reason: str
) -> None:
    response = await create_officer(client, admin, **(BUDI | change))
    assert response.status_code == 422, response.text
    assert reason in response.text
    assert [
        o["username"] for o in (await client.get(OFFICERS_URL, headers=admin)).json()["items"]
    ] == ["admin"]


@pytest.mark.parametrize(
    "body",
    [
        BUDI | {"role": "kapolda"},
        BUDI | {"unit": "Polres Palembang"},
        BUDI | {"unit": "x" * 41},
        BUDI | {"password": "x" * 201},
        BUDI | {"username": "b" * 65},
        BUDI | {"extra": 1},
        {"username": "budi", "password": "budi-rahasia-1"},
    ],
)
async def test_bad_bodies_are_422(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    assert (await create_officer(client, admin, **body)).status_code == 422


async def test_a_taken_username_is_409_and_an_unknown_one_404(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await create_officer(client, admin, **BUDI)).status_code == 201
    again = await create_officer(client, admin, **(BUDI | {"username": "BUDI"}))
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    unknown = await client.patch(f"{OFFICERS_URL}/siti", json={"active": False}, headers=admin)
    assert unknown.status_code == 404
    assert "siti" in unknown.json()["detail"]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR])
async def test_only_admins_manage_officers(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock, role: Role
) -> None:
    headers = await officer_with_role(client, runtime, clock, role)
    for response in (
        await client.get(OFFICERS_URL, headers=headers),
        await create_officer(client, headers, **BUDI),
        await client.patch(f"{OFFICERS_URL}/{role.value}", json={"role": "admin"}, headers=headers),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["detail"] == "only admins manage officers"
    assert (await client.get(OFFICERS_URL)).status_code == 401


async def test_disabling_refuses_every_token_at_once(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    await create_officer(client, admin, **BUDI)
    first = bearer(await login(client, "budi", "budi-rahasia-1"))
    second = bearer(await login(client, "budi", "budi-rahasia-1"))
    assert (await client.get(CASES_URL, headers=first)).status_code == 200

    disabled = await client.patch(f"{OFFICERS_URL}/budi", json={"active": False}, headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False
    for token in (first, second):
        assert (await client.get(CASES_URL, headers=token)).status_code == 401
    assert (await login(client, "budi", "budi-rahasia-1")).status_code == 401

    enabled = await client.patch(f"{OFFICERS_URL}/budi", json={"active": True}, headers=admin)
    assert enabled.json()["active"] is True
    assert (await client.get(CASES_URL, headers=first)).status_code == 401, "revoked for good"
    assert (await login(client, "budi", "budi-rahasia-1")).status_code == 200
    assert ("admin", "officer.update", "budi", '{"active": false, "tokens_revoked": true}') in (
        await audit_actions(runtime)
    )


async def test_a_new_password_refuses_the_old_one_and_every_token(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    await create_officer(client, admin, **BUDI)
    token = bearer(await login(client, "budi", "budi-rahasia-1"))
    weak = await client.patch(f"{OFFICERS_URL}/budi", json={"password": "12345678"}, headers=admin)
    assert weak.status_code == 422
    assert (await client.get(CASES_URL, headers=token)).status_code == 200, "nothing changed"

    changed = await client.patch(
        f"{OFFICERS_URL}/budi", json={"password": "sandi-baru-2026"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(CASES_URL, headers=token)).status_code == 401
    assert (await login(client, "budi", "budi-rahasia-1")).status_code == 401
    assert (await login(client, "budi", "sandi-baru-2026")).status_code == 200
    details = [row[3] for row in await audit_actions(runtime) if row[1] == "officer.update"]
    assert details == ['{"password_changed": true, "tokens_revoked": true}']
    assert all("sandi-baru" not in row[3] for row in await audit_actions(runtime))


async def test_the_last_active_admin_cannot_disable_or_demote_themselves(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for change in ({"active": False}, {"role": "supervisor"}):
        refused = await client.patch(f"{OFFICERS_URL}/admin", json=change, headers=admin)
        assert refused.status_code == 409, refused.text
        assert "no active admin" in refused.json()["detail"]
    assert (await client.get(OFFICERS_URL, headers=admin)).status_code == 200, "still an admin"

    await create_officer(client, admin, **(BUDI | {"role": "admin"}))
    demoted = await client.patch(f"{OFFICERS_URL}/admin", json={"role": "officer"}, headers=admin)
    assert demoted.status_code == 200
    assert (await client.get(OFFICERS_URL, headers=admin)).status_code == 403, "no longer an admin"


async def test_signing_out_refuses_that_token_only(
    client: httpx.AsyncClient, admin: dict[str, str], runtime: Runtime
) -> None:
    other = bearer(await login(client, "admin", ADMIN_PASSWORD))
    out = await client.post("/api/v1/auth/logout", headers=admin)
    assert out.status_code == 204
    assert out.content == b""
    assert (await client.get(CASES_URL, headers=admin)).status_code == 401
    assert (await client.post("/api/v1/auth/logout", headers=admin)).status_code == 401
    assert (await client.get(CASES_URL, headers=other)).status_code == 200
    async with runtime.db.connect() as conn:
        assert len((await conn.execute(select(officer_tokens.c.id))).all()) == 1
    assert ("admin", "auth.logout", None, "{}") in await audit_actions(runtime)
    assert (await client.post("/api/v1/auth/logout")).status_code == 401
