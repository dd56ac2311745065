"""Fixtures shared by the suite.

Every test gets a fresh, migrated database: a copy of a template the session
migrated once (tests/support/databases.py), as a SQLite file by default or,
when ``PINTU_TEST_DATABASE_URL`` names a PostgreSQL database, as that
database holding just what the template holds. A test marked
``empty_database`` gets one without tables instead. The app runs with its
real lifespan (migrations, which find the copy up to date, first admin,
outbox sender) and is driven over HTTP. Passwords are hashed at Argon2's
minimum cost (tests only).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.support.databases import PostgreSQLDatabases, SQLiteTemplate
from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.loopback import running
from tests.support.web import WebCitizen

ADMIN_PASSWORD = "test-admin-password"
START = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "empty_database: the test's database has no tables (migrations not run)"
    )


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> SQLiteTemplate | PostgreSQLDatabases:
    """Migrate once per session; tests copy the result."""
    url = os.environ.get("PINTU_TEST_DATABASE_URL")
    if url:
        return PostgreSQLDatabases.build(url)
    return SQLiteTemplate.build(tmp_path_factory.mktemp("template"))


@pytest.fixture
async def database_url(
    request: pytest.FixtureRequest,
    template: SQLiteTemplate | PostgreSQLDatabases,
    tmp_path: Path,
) -> str:
    empty = request.node.get_closest_marker("empty_database") is not None
    if isinstance(template, PostgreSQLDatabases):
        return await (template.empty() if empty else template.fresh())
    path = tmp_path / "pintu.db"
    return f"sqlite+aiosqlite:///{path}" if empty else template.copy_to(path)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        var_dir=tmp_path / "var",
        admin_password=ADMIN_PASSWORD,
        password_cost="tests-only",
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
