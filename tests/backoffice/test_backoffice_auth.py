"""Signing officers in: the token route, bearer tokens, accounts and the first admin."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backoffice.bootstrap import ensure_first_admin
from backoffice.cli_support import add_officer_command
from backoffice.officers import InvalidOfficerError, OfficerExistsError, Role, add_officer
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.database import create_engine
from bot.storage.migrate import upgrade_database
from bot.storage.tables import audit_log, officer_tokens, officers
from tests.conftest import ADMIN_PASSWORD, START

TOKEN_URL = "/api/v1/auth/token"
CASES_URL = "/api/v1/cases"


async def login(
    client: httpx.AsyncClient, username: str = "admin", password: str = ADMIN_PASSWORD
) -> httpx.Response:
    return await client.post(TOKEN_URL, data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def audit_rows(runtime: Runtime) -> list[dict[str, object]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(select(audit_log).order_by(audit_log.c.id))
        return [dict(row._mapping) for row in rows]


async def test_login_returns_a_bearer_token_that_opens_the_api(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await login(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 40
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires == START + timedelta(seconds=settings.token_ttl_seconds)
    listed = await client.get(CASES_URL, headers=bearer(body["access_token"]))
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "total": 0}


async def test_only_the_tokens_digest_is_stored(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = (await login(client)).json()["access_token"]
    async with runtime.db.connect() as conn:
        [stored] = (await conn.execute(select(officer_tokens))).all()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash


async def test_usernames_are_case_insensitive(client: httpx.AsyncClient) -> None:
    assert (await login(client, username=" Admin ")).status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password"), ("nobody", ADMIN_PASSWORD)],
    ids=["bad password", "unknown user"],
)
async def test_bad_credentials_get_401_with_one_reason_for_all(
    client: httpx.AsyncClient, username: str, password: str
) -> None:
    response = await login(client, username=username, password=password)
    assert response.status_code == 401
    assert response.json() == {"detail": "incorrect username or password"}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("form", [{"username": "admin"}, {"username": "admin", "password": ""}])
async def test_a_form_without_password_is_422(
    client: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await client.post(TOKEN_URL, data=form)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


async def test_every_login_is_audited_without_the_password(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await login(client, password="a-wrong-guess")
    await login(client, username="mallory", password="another-guess")
    await login(client)
    rows = [row for row in await audit_rows(runtime) if row["action"] != "officer.add"]
    assert [(row["action"], row["actor"]) for row in rows] == [
        ("auth.login_failed", "admin"),
        ("auth.login_failed", "mallory"),
        ("auth.login", "admin"),
    ]
    assert rows[0]["officer_id"] is None
    assert rows[2]["officer_id"] is not None
    assert all(row["created_at"] == START for row in rows)
    logged = json.dumps([str(row) for row in rows])
    assert "guess" not in logged
    assert ADMIN_PASSWORD not in logged


async def test_an_absurdly_long_username_is_refused_and_audited_cut_short(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await login(client, username="x" * 500)
    assert response.status_code == 401
    [row] = [row for row in await audit_rows(runtime) if row["action"] == "auth.login_failed"]
    assert row["actor"] == "x" * 64


async def test_no_token_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get(CASES_URL)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Bearer ", "Basic YWRtaW46cGFzc3dvcmQ=", "garbage"],
)
async def test_a_bad_token_is_401(client: httpx.AsyncClient, authorization: str) -> None:
    response = await client.get(CASES_URL, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_token_expires_after_its_lifetime(
    client: httpx.AsyncClient, clock: ManualClock, settings: Settings
) -> None:
    token = (await login(client)).json()["access_token"]
    clock.advance(settings.token_ttl_seconds - 1)
    assert (await client.get(CASES_URL, headers=bearer(token))).status_code == 200
    clock.advance(1)
    expired = await client.get(CASES_URL, headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json() == {"detail": "invalid or expired token"}


async def test_a_deactivated_officer_can_neither_log_in_nor_use_a_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = (await login(client)).json()["access_token"]
    async with runtime.db.begin() as conn:
        await conn.execute(update(officers).values(active=False))
    assert (await client.get(CASES_URL, headers=bearer(token))).status_code == 401
    assert (await login(client)).status_code == 401


@pytest.mark.parametrize("role", list(Role))
async def test_officers_added_from_the_command_line_can_log_in(
    client: httpx.AsyncClient, settings: Settings, role: Role
) -> None:
    generated = await add_officer_command(
        settings, username="Budi", password="budi-password", role=role, full_name="Budi S."
    )
    assert generated is None
    token = (await login(client, "budi", "budi-password")).json()["access_token"]
    assert (await client.get(CASES_URL, headers=bearer(token))).status_code == 200


async def test_the_command_generates_a_password_when_none_is_given(
    client: httpx.AsyncClient, settings: Settings, runtime: Runtime
) -> None:
    generated = await add_officer_command(
        settings, username="sari", password=None, role="supervisor"
    )
    assert generated is not None
    assert (await login(client, "sari", generated)).status_code == 200
    additions = [row for row in await audit_rows(runtime) if row["action"] == "officer.add"]
    assert [(row["actor"], row["target"]) for row in additions] == [
        ("system", "admin"),
        ("cli", "sari"),
    ]
    assert generated not in json.dumps([str(row) for row in additions])


@pytest.mark.parametrize(
    ("username", "password", "role", "reason"),
    [
        ("admin", "long-enough", "officer", "already exists"),
        ("ADMIN", "long-enough", "officer", "already exists"),
        ("budi", "short", "officer", "at least 8"),
        ("budi", "long-enough", "commander", "not one of"),
        ("budi santoso", "long-enough", "officer", "username"),
        ("budi/1", "long-enough", "officer", "username"),
        ("", "long-enough", "officer", "username"),
    ],
)
async def test_the_command_refuses_unusable_accounts(
    app: object, settings: Settings, username: str, password: str, role: str, reason: str
) -> None:
    with pytest.raises((InvalidOfficerError, OfficerExistsError), match=reason):
        await add_officer_command(settings, username=username, password=password, role=role)


async def test_a_duplicate_leaves_the_session_usable(runtime: Runtime, clock: ManualClock) -> None:
    async with AsyncSession(runtime.db) as session:
        with pytest.raises(OfficerExistsError):
            await add_officer(
                session,
                username="admin",
                password="long-enough",
                role=Role.OFFICER,
                full_name="",
                now=clock.now(),
            )
        await add_officer(
            session,
            username="budi",
            password="long-enough",
            role=Role.OFFICER,
            full_name="",
            now=clock.now(),
        )
        await session.commit()
    async with runtime.db.connect() as conn:
        names = (await conn.execute(select(officers.c.username))).scalars().all()
    assert sorted(names) == ["admin", "budi"]


async def test_the_first_admin_is_created_once(runtime: Runtime, settings: Settings) -> None:
    assert await ensure_first_admin(runtime.db, settings, runtime.clock) is None
    async with runtime.db.connect() as conn:
        rows = (await conn.execute(select(officers.c.username, officers.c.role))).all()
    assert [tuple(row) for row in rows] == [("admin", "admin")]


async def test_workers_starting_together_create_one_admin_with_a_generated_password(
    settings: Settings, clock: ManualClock
) -> None:
    unset = settings.model_copy(update={"admin_password": None})
    db = create_engine(settings.database_url)
    try:
        await upgrade_database(db)
        results = await asyncio.gather(*(ensure_first_admin(db, unset, clock) for _ in range(3)))
        async with db.connect() as conn:
            rows = (await conn.execute(select(officers.c.username))).scalars().all()
    finally:
        await db.dispose()
    assert rows == ["admin"]
    passwords = [found for found in results if found is not None]
    assert len(passwords) == 1
    assert len(passwords[0]) >= 12


async def test_the_docs_offer_the_password_flow(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    [scheme] = schema["components"]["securitySchemes"].values()
    assert scheme["flows"]["password"]["tokenUrl"] == TOKEN_URL
    assert (await client.get("/docs")).status_code == 200
