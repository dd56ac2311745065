"""What pintu logs: no secrets, no data, and lines that can be followed per request and send."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handlers.correlation import request_id
from bot.logs import AccessPathOnly, client_network, redact_url
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.database import create_engine
from tests.support.fake_whatsapp import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeGraphAPI,
    encode,
    message,
    notification,
    profile,
    sign,
)
from tests.support.logs import pintu_logs
from tests.support.outbox import settle
from tests.support.whatsapp_citizen import whatsapp_settings

PHONE = "6281377712345"
NIK = "3171234567890001"
log = logging.getLogger(__name__)


ACCESS = '%s - "%s %s HTTP/%s" %d'  # uvicorn's access line


# -- pintu serve: the access log ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_environment(settings: Settings, var_dir: Path) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("PINTU_")}
    return inherited | {
        "PINTU_DATABASE_URL": settings.database_url,
        "PINTU_VAR_DIR": str(var_dir),
        "PINTU_SECRET_KEY": "test-secret-key",
        "PINTU_ADMIN_PASSWORD": "test-admin-password",
        "PINTU_PASSWORD_COST": "tests-only",
        "PINTU_WHATSAPP_ACCESS_TOKEN": "EAAG-test-access-token",
        "PINTU_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "PINTU_WHATSAPP_APP_SECRET": APP_SECRET,
        "PINTU_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "PINTU_WHATSAPP_API_URL": "http://127.0.0.1:9/v25.0",  # never called here
    }


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def until_ready(http: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    """Poll /healthz until the freshly started server answers (at most a minute)."""
    async with asyncio.timeout(60):
        while process.returncode is None:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("pintu serve stopped before it answered")


async def test_pintu_serve_logs_the_handshake_without_its_query_string(
    settings: Settings, tmp_path: Path
) -> None:
    """`pintu serve` as an operator runs it: the access log names the path, never the
    verify token of the WhatsApp handshake; what it creates is its user's only."""
    port, output = free_port(), tmp_path / "serve.log"
    with output.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--port",
            str(port),
            stdout=sink,
            stderr=sink,
            cwd=tmp_path,  # no .env of the checkout
            env=serve_environment(settings, tmp_path / "var"),
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await until_ready(http, process)
            params = {
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "8842",
            }
            answer = await http.get("/webhooks/whatsapp", params=params)
            assert (answer.status_code, answer.text) == (200, "8842")
            assert len(answer.headers["x-request-id"]) == 16
    finally:
        process.terminate()
        await process.wait()
    logged = output.read_text()
    access = next(line for line in logged.splitlines() if '"GET /webhooks/whatsapp' in line)
    assert '127.0.0.0/24 - "GET /webhooks/whatsapp HTTP/1.1" 200' in access
    assert "127.0.0.1" not in access  # the client's own address (and port)
    assert VERIFY_TOKEN not in logged
    assert "hub." not in logged
    if settings.is_sqlite:
        database = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
        assert mode_of(database) == 0o600


@pytest.mark.parametrize(
    ("client", "network"),
    [
        ("203.0.113.7:51234", "203.0.113.0/24"),
        ("2001:db8:1:2:3:4:5:6:443", "2001:db8:1::/48"),
        ("2001:db8:1::9:5000", "2001:db8:1::/48"),
        ("[2001:db8:1::9]:80", "2001:db8:1::/48"),
        ("198.51.100.20", "198.51.100.0/24"),
        ("unix-socket", "-"),
        ("", "-"),
    ],
)
def test_the_access_log_names_a_clients_network_only(client: str, network: str) -> None:
    assert client_network(client) == network


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/v1/applications/skck/SKCK%2F0123%2F2026?x=1", "/api/v1/applications/skck/<number>"),
        ("/applications/skck/SKCK/0123/2026/history", "/applications/skck/<number>/history"),
        ("/applications/skck", "/applications/skck"),
        ("/api/v1/cases/LPR-20261207-ABCD", "/api/v1/cases/LPR-20261207-ABCD"),
    ],
)
def test_the_access_log_leaves_application_numbers_out(path: str, logged: str) -> None:
    line = ("203.0.113.7:51234", "GET", path, "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, ACCESS, line, None)
    AccessPathOnly().filter(record)
    assert record.getMessage() == f'203.0.113.0/24 - "GET {logged} HTTP/1.1" 200'


# -- database errors ---------------------------------------------------------------------


async def failed_insert(engine: AsyncEngine, statement: str, values: dict[str, object]) -> str:
    """Run an insert that must fail; log its error as pintu does; the error's text."""
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement), values)
    except DBAPIError as error:
        log.exception("could not store the probe")
        return str(error)
    raise AssertionError("the insert did not fail")


async def test_database_errors_are_logged_without_their_parameters(settings: Settings) -> None:
    """A duplicate key (PostgreSQL quotes the key in its DETAIL) and a missing parent row:
    the citizen's phone number and NIK appear nowhere in the log, only the error's type."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE TABLE leak_probe (id INTEGER PRIMARY KEY, phone VARCHAR(32) UNIQUE, "
                    "note VARCHAR(100), parent INTEGER REFERENCES leak_probe (id))"
                )
            )
            await conn.execute(
                text("INSERT INTO leak_probe (id, phone) VALUES (1, :p)"), {"p": PHONE}
            )
        with pintu_logs(level="DEBUG") as output:
            duplicate = "INSERT INTO leak_probe (id, phone) VALUES (2, :phone)"
            await failed_insert(engine, duplicate, {"phone": PHONE})
            orphan = "INSERT INTO leak_probe (id, note, parent) VALUES (3, :note, 99)"
            said = await failed_insert(engine, orphan, {"note": f"NIK saya {NIK}"})
        assert NIK not in said  # the error itself names no parameter either
        logged = output.getvalue()
        assert logged.count("sqlalchemy.exc.IntegrityError: (message withheld") == 2
        assert "Traceback (most recent call last)" in logged
        assert PHONE not in logged
        assert NIK not in logged
    finally:
        await engine.dispose()


# -- correlation ids and JSON lines --------------------------------------------------------


def test_an_incoming_request_id_is_kept_only_when_short_and_safe() -> None:
    assert request_id(b"edge-7f3a.1:2") == "edge-7f3a.1:2"
    for unsafe in (b"a" * 65, b"a b", b"id\r\nX-Evil: 1", "é".encode(), b"", None):
        made = request_id(unsafe)
        assert len(made) == 16
        assert made != request_id(unsafe)  # a new one each time


def test_urls_lose_their_query_and_bot_token() -> None:
    assert (
        redact_url("https://api.telegram.org/bot123456:AAH-x_y/sendMessage?chat_id=5")
        == "https://api.telegram.org/bot<token>/sendMessage"
    )
    assert (
        redact_url("https://api.telegram.org/file/bot123:A/photos/f.jpg")
        == "https://api.telegram.org/file/bot<token>/photos/f.jpg"
    )
    assert redact_url("https://lookaside.fbsbx.com/a/?mid=1&hash=s") == (
        "https://lookaside.fbsbx.com/a/"
    )


@pytest.fixture
def settings(settings: Settings, graph: FakeGraphAPI) -> Settings:
    return whatsapp_settings(settings, graph)


async def test_json_lines_carry_the_request_id_and_each_send_its_own(
    client: httpx.AsyncClient, graph: FakeGraphAPI, runtime: Runtime
) -> None:
    """With PINTU_LOG_FORMAT=json every line is one object; a line a webhook caused carries
    its X-Request-ID (which the answer echoes), a line a send caused its outbox row."""
    elsewhere = notification(
        messages=[message("text", user_id="ID.1", wa_id=PHONE, text={"body": "halo"})],
        contacts=[profile(user_id="ID.1", wa_id=PHONE)],
        phone_number_id="999999",  # logged at INFO: ignored
    )
    raw = encode(elsewhere)
    headers = {"X-Hub-Signature-256": sign(raw), "X-Request-ID": "edge-42"}
    with pintu_logs(level="DEBUG", log_format="json") as output:
        answer = await client.post("/webhooks/whatsapp", content=raw, headers=headers)
        assert answer.headers["x-request-id"] == "edge-42"
        mine = notification(
            messages=[message("text", user_id="ID.2", wa_id=PHONE, text={"body": "halo"})],
            contacts=[profile(user_id="ID.2", wa_id=PHONE)],
        )
        raw = encode(mine)
        answer = await client.post(
            "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": sign(raw)}
        )
        assert answer.status_code == 200
        await settle(runtime)
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    assert {"time", "level", "logger", "correlation_id", "message"} <= set(lines[0])
    ignored = [line for line in lines if "another phone number id" in line["message"]]
    assert [line["correlation_id"] for line in ignored] == ["edge-42"]
    sends = [line for line in lines if line["message"].startswith("graph POST")]
    assert sends
    assert all(line["correlation_id"].startswith("outbox-") for line in sends)
    assert graph.sent()
