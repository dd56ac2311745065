"""Fixtures shared by the suite.

Every test gets an empty database: a fresh SQLite file by default, or, when
``PINTU_TEST_DATABASE_URL`` names a PostgreSQL database, that database with
its ``public`` schema dropped and recreated. The app runs with its real
lifespan (migrations, first admin, outbox sender) and is driven over HTTP.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.loopback import running
from tests.support.web import WebCitizen

ADMIN_PASSWORD = "test-admin-password"
START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


async def _reset_postgresql(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    url = os.environ.get("PINTU_TEST_DATABASE_URL")
    if url:
        await _reset_postgresql(url)
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'pintu.db'}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        var_dir=tmp_path / "var",
        admin_password=ADMIN_PASSWORD,
        secret_key="test-secret-key",
        outbox_poll_seconds=0.05,
        outbox_backoff_base_seconds=1.0,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    found: Runtime = app.state.runtime
    return found


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pintu.test") as http:
        yield http


@pytest.fixture
async def citizen(client: httpx.AsyncClient) -> WebCitizen:
    return await WebCitizen.open(client)


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A fake Telegram Bot API on loopback (turn the channel on with `telegram_settings`)."""
    async with running(FakeBotAPI()) as api:
        yield api


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraphAPI]:
    """A fake WhatsApp Graph API on loopback (turn the channel on with `whatsapp_settings`)."""
    async with running(FakeGraphAPI()) as api:
        yield api
