"""The `pintu` command: database upgrade and officer creation, as an operator runs them."""

from __future__ import annotations

import asyncio
import io
import sys

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import audit_log, officers
from tests.support.accounts import add_unit, bearer, login


@pytest.fixture
def operator_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PINTU_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PINTU_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("PINTU_PASSWORD_COST", settings.password_cost)
    return settings


@pytest.mark.empty_database
async def test_db_upgrade_then_officer_add(
    operator_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["db", "upgrade"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("sangat-rahasia-1\n"))
    code = await asyncio.to_thread(
        main, ["officer", "add", "Budi", "--role", "supervisor", "--password-stdin"]
    )
    assert code == 0
    again = await asyncio.to_thread(main, ["officer", "add", "budi", "--password-stdin"])
    assert again == 1
    assert "budi" in capsys.readouterr().err
    engine = create_async_engine(operator_env.database_url)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(officers.c.username, officers.c.role))).all()
    await engine.dispose()
    assert [(r.username, r.role) for r in rows] == [("budi", "supervisor")]


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


async def test_officer_accounts_from_the_terminal(
    operator_env: Settings,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await add_unit(runtime, clock, "polres-palembang")
    monkeypatch.setattr(sys, "stdin", io.StringIO("sangat-rahasia-1\n"))
    added = ["officer", "add", "budi", "--unit", "polres-palembang", "--password-stdin"]
    assert await asyncio.to_thread(main, added) == 0
    nowhere = ["officer", "add", "siti", "--unit", "polres-nowhere", "--password-stdin"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("sangat-rahasia-2\n"))
    assert await asyncio.to_thread(main, nowhere) == 1
    assert "no unit with code 'polres-nowhere'" in capsys.readouterr().err

    assert await asyncio.to_thread(main, ["officer", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "admin\tadmin\tpolda\tactive\tAdministrator",
        "budi\tofficer\tpolres-palembang\tactive\t",
    ]

    token = bearer(await login(client, "budi", "sangat-rahasia-1"))
    assert await asyncio.to_thread(main, ["officer", "reset-password", "budi"]) == 0
    printed = capsys.readouterr().out
    password = printed.rsplit(": ", 1)[1].strip()
    assert "shown only now" in printed
    assert (await client.get("/api/v1/cases", headers=token)).status_code == 401
    assert (await login(client, "budi", "sangat-rahasia-1")).status_code == 401
    token = bearer(await login(client, "budi", password))

    assert await asyncio.to_thread(main, ["officer", "disable", "budi"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert (await client.get("/api/v1/cases", headers=token)).status_code == 401
    assert (await login(client, "budi", password)).status_code == 401
    assert await asyncio.to_thread(main, ["officer", "list"]) == 0
    assert "budi\tofficer\tpolres-palembang\tdisabled" in capsys.readouterr().out

    assert await asyncio.to_thread(main, ["officer", "disable", "nobody"]) == 1
    assert "no officer named 'nobody'" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["officer", "disable", "admin"]) == 1, "the last admin"
    assert "no active admin" in capsys.readouterr().err
    async with runtime.db.connect() as conn:
        actors = (await conn.execute(select(audit_log.c.actor, audit_log.c.action))).all()
    assert ("cli", "officer.update") in [tuple(row) for row in actors]
