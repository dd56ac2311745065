"""The platforms' webhooks answered in front of the web framework (`bot.handlers.webhooks`):
the same answers, ids, limits and error handling as the app's middleware gave them."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.types import Message, Receive, Scope, Send

from bot.app import unavailable
from bot.handlers.webhooks import OK, Answer, FastRoute, FastWebhooks, WebhookRequest
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import inbound_events
from tests.support.fake_telegram import FakeBotAPI, text_update
from tests.support.fake_whatsapp import FakeGraphAPI, encode, message, notification, profile, sign
from tests.support.outbox import settle
from tests.support.telegram_citizen import SECRET, telegram_settings
from tests.support.whatsapp_citizen import whatsapp_settings

TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
DUTY_CHAT = 4_077  # a private chat made the duty group: nothing from it is a citizen's


@pytest.fixture
def settings(settings: Settings, fake_api: FakeBotAPI, graph: FakeGraphAPI) -> Settings:
    with_telegram = telegram_settings(settings, fake_api, duty_telegram_chat_id=str(DUTY_CHAT))
    return whatsapp_settings(with_telegram, graph)


def whatsapp_body(message_id: str) -> bytes:
    said = message(
        "text", user_id="ID.77", wa_id="628111", message_id=message_id, text={"body": "halo"}
    )
    return encode(
        notification(messages=[said], contacts=[profile(user_id="ID.77", wa_id="628111")])
    )


async def test_every_webhook_answer_carries_the_correlation_id(client: httpx.AsyncClient) -> None:
    kept = {"X-Request-ID": "proxy-id-1"}
    answered = await client.post(
        "/webhooks/telegram", json=text_update(700_001, 4_001, "halo"), headers=TELEGRAM | kept
    )
    assert answered.status_code == 200
    assert answered.json() == {"ok": True}
    assert answered.headers["x-request-id"] == "proxy-id-1"
    assert answered.headers["content-type"] == "application/json"

    refused = await client.post(
        "/webhooks/telegram", json={}, headers={"X-Request-ID": "not safe <id>"}
    )
    assert refused.status_code == 403
    assert refused.json() == {"detail": "wrong or missing secret token"}
    assert len(refused.headers["x-request-id"]) == 16  # a new one, not the unsafe one

    raw = whatsapp_body("wamid.fast-1")
    signed = {"X-Hub-Signature-256": sign(raw), "X-Request-ID": "wa-2"}
    assert (await client.post("/webhooks/whatsapp", content=raw, headers=signed)).headers[
        "x-request-id"
    ] == "wa-2"
    forged = await client.post(
        "/webhooks/whatsapp", content=raw, headers={"X-Hub-Signature-256": "sha256=00"}
    )
    assert forged.status_code == 403
    assert forged.json() == {"detail": "wrong or missing X-Hub-Signature-256"}
    assert len(forged.headers["x-request-id"]) == 16


async def test_a_body_over_the_limit_is_refused_with_the_id_and_the_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Telegram's limit is the general one; the declared length alone decides."""
    limit = settings.max_request_bytes
    over = await client.post(
        "/webhooks/telegram", content=b" " * (limit + 1), headers=TELEGRAM | {"X-Request-ID": "b"}
    )
    assert over.status_code == 413
    assert over.json() == {"detail": f"request body larger than {limit} bytes"}
    assert over.headers["x-request-id"] == "b"


async def test_a_text_read_directly_from_the_duty_chat_still_goes_to_the_duty_desk(
    client: httpx.AsyncClient, runtime: Runtime, fake_api: FakeBotAPI
) -> None:
    for update_id, chat in ((700_101, DUTY_CHAT), (700_102, 4_002)):
        update = text_update(update_id, chat, "halo")
        assert (await client.post("/webhooks/telegram", json=update, headers=TELEGRAM)).is_success
    await settle(runtime)
    assert {int(params["chat_id"]) for params in fake_api.sent()} == {4_002}
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(inbound_events)) == 2


async def test_other_requests_to_the_webhook_paths_reach_the_app(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/webhooks/telegram")).status_code == 405
    handshake = {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}
    assert (await client.get("/webhooks/whatsapp", params=handshake)).status_code == 403


async def test_the_declared_routes_answer_alike_behind_the_fast_path(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """A request that reaches the FastAPI app itself gets what the fast path gives."""
    behind = app.build_middleware_stack()
    assert isinstance(behind, FastWebhooks)

    async def stack(scope: Scope, receive: Receive, send: Send) -> None:
        await behind.app(scope | {"app": app}, receive, send)

    transport = httpx.ASGITransport(app=stack)
    async with httpx.AsyncClient(transport=transport, base_url="http://pintu.test") as direct:
        for http in (client, direct):
            refused = await http.post("/webhooks/telegram", json={}, headers={"X-Request-ID": "d"})
            assert refused.status_code == 403
            assert refused.json() == {"detail": "wrong or missing secret token"}
            assert refused.headers["x-request-id"] == "d"
        update = text_update(700_201, 4_003, "halo")
        answered = await direct.post("/webhooks/telegram", json=update, headers=TELEGRAM)
        assert (answered.status_code, answered.json()) == (200, {"ok": True})
        raw = whatsapp_body("wamid.behind-1")
        signed = {"X-Hub-Signature-256": sign(raw)}
        assert (await direct.post("/webhooks/whatsapp", content=raw, headers=signed)).is_success
    async with runtime.db.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(inbound_events)) == 2


async def test_the_schema_still_documents_both_webhooks(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    telegram, whatsapp = paths["/webhooks/telegram"]["post"], paths["/webhooks/whatsapp"]["post"]
    assert [p["name"] for p in telegram["parameters"]] == ["x-telegram-bot-api-secret-token"]
    assert [p["name"] for p in whatsapp["parameters"]] == ["x-hub-signature-256"]
    assert "get" in paths["/webhooks/whatsapp"]


# -- the ASGI callable on its own, around a stand-in for the app ------------------------


class Stack:
    """Stands for the FastAPI app behind the fast path: records what reached it."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached.append(f"{scope['method']} {scope['path']}")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def call(app: FastWebhooks, method: str, path: str, body: bytes = b"{}") -> list[Message]:
    scope = {"type": "http", "method": method, "path": path, "headers": [(b"x-request-id", b"r1")]}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def answered(webhook: Any) -> tuple[FastWebhooks, Stack]:
    stack = Stack()
    return FastWebhooks(stack, {"/hook": FastRoute(webhook, 1000)}, unavailable), stack


async def test_only_posts_to_a_webhook_path_are_answered_in_front_of_the_app() -> None:
    async def webhook(request: WebhookRequest) -> Answer:
        assert await request.body() == b"{}"
        return OK

    app, stack = answered(webhook)
    assert (await call(app, "POST", "/hook"))[0]["status"] == 200
    assert stack.reached == []
    assert (await call(app, "GET", "/hook"))[0]["status"] == 204
    assert (await call(app, "POST", "/other"))[0]["status"] == 204
    assert stack.reached == ["GET /hook", "POST /other"]


async def test_a_fault_of_the_database_is_a_503_to_retry_later() -> None:
    async def webhook(request: WebhookRequest) -> Answer:
        raise sqlite3.OperationalError("database is locked")

    app, _ = answered(webhook)
    start, body = await call(app, "POST", "/hook")
    assert start["status"] == 503
    headers = dict(start["headers"])
    assert headers[b"retry-after"] == b"5"
    assert headers[b"x-request-id"] == b"r1"
    assert b"database is unavailable" in body["body"]


async def test_any_other_error_is_a_500_and_raised_on_to_the_server() -> None:
    async def webhook(request: WebhookRequest) -> Answer:
        raise RuntimeError("a bug")

    app, _ = answered(webhook)
    with pytest.raises(RuntimeError):
        await call(app, "POST", "/hook")
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.raises(RuntimeError):
        await app({"type": "http", "method": "POST", "path": "/hook", "headers": []}, receive, send)
    assert sent[0]["status"] == 500
    assert sent[1]["body"] == b"Internal Server Error"


async def test_the_work_left_for_later_runs_after_the_answer() -> None:
    order: list[str] = []

    async def later() -> None:
        order.append("background")

    async def webhook(request: WebhookRequest) -> Answer:
        request.background.add_task(later)
        return OK

    app, _ = answered(webhook)
    sent = await call(app, "POST", "/hook")
    order[:0] = [message["type"] for message in sent]
    assert order == ["http.response.start", "http.response.body", "background"]


async def test_a_streamed_body_is_read_no_further_than_the_limit() -> None:
    reads = 0

    async def receive() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b" " * 400, "more_body": True}

    async def webhook(request: WebhookRequest) -> Answer:
        await request.body()
        return OK

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    app, _ = answered(webhook)
    await app({"type": "http", "method": "POST", "path": "/hook", "headers": []}, receive, send)
    assert sent[0]["status"] == 413
    assert reads == 3  # 1,200 bytes: past the 1,000
