"""The `pintu` command: database upgrade and officer creation, as an operator runs them."""

from __future__ import annotations

import asyncio
import io
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.settings import Settings
from bot.storage.tables import officers


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
