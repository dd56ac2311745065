"""The login lockout and the bounded password checks, over HTTP with a controlled clock."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.storage.tables import audit_log
from tests.conftest import ADMIN_PASSWORD
from tests.support.accounts import login

LOCKOUT = 900  # PINTU_LOGIN_LOCKOUT_SECONDS' default


async def audited(runtime: Runtime, action: str) -> list[tuple[str, str]]:
    async with runtime.db.connect() as conn:
        rows = await conn.execute(
            select(audit_log.c.actor, audit_log.c.detail).where(audit_log.c.action == action)
        )
        return [(actor, detail) for actor, detail in rows]


async def test_five_wrong_passwords_lock_the_username_out_the_right_one_included(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    for _ in range(5):
        assert (await login(client, "admin", "salah-sandi-1")).status_code == 401
        clock.advance(60)
    locked = await login(client, "admin", ADMIN_PASSWORD)
    assert locked.status_code == 429, locked.text
    # locked at the fifth failure, 60 s ago
    assert locked.headers["Retry-After"] == str(LOCKOUT - 60)
    assert "too many wrong passwords" in locked.json()["detail"]
    assert (await login(client, "ADMIN ", ADMIN_PASSWORD)).status_code == 429, "same username"

    clock.advance(LOCKOUT - 61)
    almost = await login(client, "admin", ADMIN_PASSWORD)
    assert (almost.status_code, almost.headers["Retry-After"]) == (429, "1")
    clock.advance(1)
    assert (await login(client, "admin", ADMIN_PASSWORD)).status_code == 200
    [(actor, detail)] = await audited(runtime, "auth.locked_out")
    assert actor == "admin"
    assert detail == '{"failures": 5, "seconds": 900}'
    assert all(
        ADMIN_PASSWORD not in d and "salah" not in d
        for _, d in await audited(runtime, "auth.login_failed")
    )


async def test_failures_spread_wider_than_the_lockout_time_lock_nothing(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    for _ in range(8):
        assert (await login(client, "admin", "salah-sandi-1")).status_code == 401
        clock.advance(LOCKOUT // 4 + 1)  # never five within 900 s
    assert (await login(client, "admin", ADMIN_PASSWORD)).status_code == 200


async def test_a_right_password_forgets_the_wrong_ones_before_it(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    for _ in range(4):
        assert (await login(client, "admin", "salah-sandi-1")).status_code == 401
    assert (await login(client, "admin", ADMIN_PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await login(client, "admin", "salah-sandi-1")).status_code == 401
    assert (await login(client, "admin", ADMIN_PASSWORD)).status_code == 200


async def test_an_unknown_username_is_locked_out_alike_and_others_are_not(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    answers = [(await login(client, "nobody", "salah-sandi-1")).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429], "no telling which usernames exist"
    assert (await login(client, "admin", ADMIN_PASSWORD)).status_code == 200
    assert [actor for actor, _ in await audited(runtime, "auth.locked_out")] == ["nobody"]
