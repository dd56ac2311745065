"""Web-chat sessions: limited per client address, tokens that expire, and
"hapus percakapan ini" (issue 14). Over HTTP, with the clock moved by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.handlers.web_limits import retry_after
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.storage.tables import alerts, allowances, cases, revoked_browsers
from tests.support.web import WebCitizen

PER_HOUR = 3
EMERGENCY = "tolong ada perampokan sekarang"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"web_sessions_per_address_per_hour": PER_HOUR, "web_poll_wait_seconds": 1.0}
    )


def from_address(app: FastAPI, host: str) -> httpx.AsyncClient:
    """A client whose connection comes from `host` (the peer address the app sees)."""
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://pintu.test")


@pytest.fixture
async def stranger(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with from_address(app, "203.0.113.5") as http:
        yield http


async def open_sessions(http: httpx.AsyncClient, count: int, **headers: str) -> list[int]:
    return [
        (await http.post("/chat/api/session", headers=headers)).status_code for _ in range(count)
    ]


# -- new sessions, per address ---------------------------------------------------------


async def test_new_sessions_are_limited_per_address_with_retry_after(
    app: FastAPI, stranger: httpx.AsyncClient, clock: ManualClock
) -> None:
    assert await open_sessions(stranger, PER_HOUR) == [201] * PER_HOUR
    refused = await stranger.post("/chat/api/session")
    assert refused.status_code == 429
    assert "too many new chat sessions" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) == 3600 // PER_HOUR
    async with from_address(app, "198.51.100.20") as neighbour:  # another address: its own
        assert await open_sessions(neighbour, 1) == [201]
    clock.advance(3600 / PER_HOUR)  # one more session's worth refilled
    assert await open_sessions(stranger, 2) == [201, 429]


async def test_existing_sessions_are_never_refused_not_even_an_emergency(
    app: FastAPI, stranger: httpx.AsyncClient, runtime: Runtime
) -> None:
    """The issue's attack: sessions from one address, each reporting an emergency.
    Only opening more sessions is refused: every citizen gets the 110 answer and
    every urgent case is opened."""
    citizens = [await WebCitizen.open(stranger) for _ in range(PER_HOUR)]
    assert (await stranger.post("/chat/api/session")).status_code == 429
    for citizen in citizens:
        answer = await citizen.say(EMERGENCY)
        assert any(message["urgent"] and "110" in message["text"] for message in answer)
    async with runtime.db.connect() as conn:
        urgent = select(func.count()).select_from(cases).where(cases.c.priority == "urgent")
        assert await conn.scalar(urgent) == PER_HOUR
        assert await conn.scalar(select(func.count()).select_from(alerts)) >= 1


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(app: FastAPI) -> None:
    async with from_address(app, "127.0.0.1") as proxy:  # the default trusted proxy
        first = {"X-Forwarded-For": "198.51.100.7"}
        assert await open_sessions(proxy, PER_HOUR + 1, **first) == [201] * PER_HOUR + [429]
        # Another citizen behind the same proxy has an allowance of their own...
        assert await open_sessions(proxy, 1, **{"X-Forwarded-For": "198.51.100.8"}) == [201]
        # ...and an address a client wrote to the left of what the proxy saw is not believed.
        forged = {"X-Forwarded-For": "192.0.2.99, 198.51.100.7"}
        assert await open_sessions(proxy, 1, **forged) == [429]


async def test_a_client_that_is_no_proxy_cannot_pick_its_address(
    stranger: httpx.AsyncClient,
) -> None:
    statuses = [
        (
            await stranger.post("/chat/api/session", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        ).status_code
        for n in range(PER_HOUR + 1)
    ]
    assert statuses == [201] * PER_HOUR + [429]


async def test_ipv6_clients_share_the_allowance_of_their_64(app: FastAPI) -> None:
    for n in range(PER_HOUR):
        async with from_address(app, f"2001:db8:1:2::{n + 1}") as http:
            assert await open_sessions(http, 1) == [201]
    async with from_address(app, "2001:db8:1:2:ffff::1") as same_network:
        assert await open_sessions(same_network, 1) == [429]
    async with from_address(app, "2001:db8:1:3::1") as next_network:
        assert await open_sessions(next_network, 1) == [201]


async def test_two_workers_count_against_one_allowance(
    app: FastAPI, settings: Settings, clock: ManualClock
) -> None:
    """Kept in each worker's memory, N workers gave a client N times the allowance."""
    other_worker = create_app(settings, clock=clock, run_workers=False)
    async with (
        other_worker.router.lifespan_context(other_worker),
        from_address(app, "203.0.113.9") as first,
        from_address(other_worker, "203.0.113.9") as second,
    ):
        statuses = await open_sessions(first, 2) + await open_sessions(second, 2)
        assert statuses == [201] * PER_HOUR + [429]
        assert await open_sessions(first, 1) == [429]


async def test_the_allowances_keep_no_address_and_forget_full_buckets(
    app: FastAPI, stranger: httpx.AsyncClient, clock: ManualClock, runtime: Runtime
) -> None:
    assert await open_sessions(stranger, 2) == [201, 201]
    async with runtime.db.connect() as conn:
        keys = (await conn.execute(select(allowances.c.key))).scalars().all()
    assert len(keys) == 1
    assert "203.0.113.5" not in keys[0]  # an HMAC of the address, not the address

    clock.advance(timedelta(minutes=30).total_seconds())  # refilled, not yet full
    await Scheduler(runtime).forget_full_allowances()
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(allowances)) == 1
    clock.advance(timedelta(minutes=30).total_seconds())
    await Scheduler(runtime).forget_full_allowances()
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(allowances)) == 0
    assert await open_sessions(stranger, PER_HOUR + 1) == [201] * PER_HOUR + [429]


# -- tokens expire ------------------------------------------------------------------------


async def test_a_token_expires_after_its_lifetime_and_a_new_session_goes_on(
    client: httpx.AsyncClient, clock: ManualClock, runtime: Runtime
) -> None:
    citizen = await WebCitizen.open(client)
    await citizen.say("halo")
    clock.advance(timedelta(days=runtime.settings.web_token_days - 1).total_seconds())
    assert (await citizen.post({"text": "masih di sini"})).status_code == 202
    clock.advance(timedelta(days=1).total_seconds())

    expired = await citizen.post({"text": "halo lagi"})

    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]
    assert (await client.get("/chat/api/messages", headers=citizen.headers)).status_code == 401
    fresh = await WebCitizen.open(client)
    assert (await fresh.post({"text": "halo lagi"})).status_code == 202


def sign(secret: bytes, signed: str) -> str:
    digest = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


async def test_a_token_of_the_first_format_is_treated_as_expired(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """`<id>.<signature>` tokens carry no date: genuine, but their age is unknown."""
    old = f"someBrowser123.{sign(runtime.secret_key, 'someBrowser123')}"
    response = await client.get("/chat/api/messages", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_a_changed_issue_date_breaks_the_signature(client: httpx.AsyncClient) -> None:
    citizen = await WebCitizen.open(client)
    browser, issued, signature = citizen.token.split(".")
    later = f"{browser}.{int(issued, 36) + 86_400 * 365:x}.{signature}"
    response = await client.get("/chat/api/messages", headers={"Authorization": f"Bearer {later}"})
    assert response.status_code == 401
    assert "not a chat token" in response.json()["detail"]


# -- "hapus percakapan ini" -----------------------------------------------------------------


async def test_forgetting_a_conversation_revokes_its_token_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    citizen, other = await WebCitizen.open(client), await WebCitizen.open(client)
    await citizen.say("halo")
    await other.say("halo")

    forgotten = await client.delete("/chat/api/session", headers=citizen.headers)

    assert forgotten.status_code == 204
    for attempt in (
        await client.get("/chat/api/messages", headers=citizen.headers),
        await citizen.post({"text": "halo"}),
        await client.delete("/chat/api/session", headers=citizen.headers),
    ):
        assert attempt.status_code == 401
        assert "revoked" in attempt.json()["detail"]
    assert (await other.post({"text": "masih bisa"})).status_code == 202


async def test_revocations_are_dropped_once_every_token_would_have_expired(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock, runtime: Runtime
) -> None:
    citizen = await WebCitizen.open(client)
    assert (await client.delete("/chat/api/session", headers=citizen.headers)).status_code == 204
    scheduler = Scheduler(runtime)
    clock.advance(timedelta(days=runtime.settings.web_token_days - 1).total_seconds())
    await scheduler.forget_revoked_browsers()
    assert await revocations(runtime) == 1
    assert (await client.get("/chat/api/messages", headers=citizen.headers)).status_code == 401
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    await scheduler.forget_revoked_browsers()
    assert await revocations(runtime) == 0
    response = await client.get("/chat/api/messages", headers=citizen.headers)
    assert response.status_code == 401  # refused still: expired by now
    assert "expired" in response.json()["detail"]


async def revocations(runtime: Runtime) -> int:
    async with runtime.db.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(revoked_browsers)) or 0)


@pytest.mark.parametrize(
    ("wait", "header"), [(0.2, "1"), (1199.5, "1200"), (10**9, "86400"), (float("inf"), "86400")]
)
def test_retry_after_is_whole_seconds_at_most_a_day(wait: float, header: str) -> None:
    assert retry_after(wait) == header
