"""The two reference servers the webhook benchmark compares pintu with.

- ``parse``: a bare FastAPI endpoint that checks the secret (Telegram) or
  the signature (WhatsApp) and parses the update (the floor: no storage);
- ``naive``: the same plus one SQLAlchemy-async transaction of three
  statements per update (dedupe insert, state upsert, outbox insert), the
  obvious way to write the hot path.

Both read ``PINTU_DATABASE_URL``, ``PINTU_TELEGRAM_WEBHOOK_SECRET`` and
``PINTU_WHATSAPP_APP_SECRET`` like pintu, serve ``/webhooks/telegram``,
``/webhooks/whatsapp`` and ``/healthz``. Run with ``uvicorn --factory
bench.reference_servers:create_parse_app`` (or ``create_naive_app``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException, Request
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from telegram import Update

from bot.storage.database import create_engine

SECRET = os.environ.get("PINTU_TELEGRAM_WEBHOOK_SECRET", "bench-secret")
APP_SECRET = os.environ.get("PINTU_WHATSAPP_APP_SECRET", "bench-app-secret").encode()

metadata = MetaData()
seen = Table(
    "bench_seen",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("update_id", BigInteger, nullable=False),
    UniqueConstraint("update_id"),
)
states = Table(
    "bench_states",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),  # a WhatsApp number is past 2**31
    Column("state", Text, nullable=False),
)
outbox = Table(
    "bench_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
)


def _parsed(raw: bytes, header: str | None) -> Update:
    if header is None or not hmac.compare_digest(header.encode(), SECRET.encode()):
        raise HTTPException(403, "wrong secret")
    return Update.de_json(json.loads(raw), None)


def _whatsapp_message(raw: bytes, signature: str | None) -> tuple[int, int]:
    """(message number, sender number) of a signed Cloud API payload's first message."""
    expected = "sha256=" + hmac.new(APP_SECRET, raw, hashlib.sha256).hexdigest()
    if signature is None or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise HTTPException(403, "wrong signature")
    value = json.loads(raw)["entry"][0]["changes"][0]["value"]
    message = value["messages"][0]
    return int(message["id"].rsplit(".", 1)[-1]), int(message["from"])


def _message(request: Request, raw: bytes) -> tuple[int, int]:
    if request.url.path.endswith("/whatsapp"):
        return _whatsapp_message(raw, request.headers.get("x-hub-signature-256"))
    update = _parsed(raw, request.headers.get("x-telegram-bot-api-secret-token"))
    chat_id = update.message.chat.id if update.message is not None else 0
    return update.update_id, chat_id


def create_parse_app() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/telegram")
    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> dict[str, bool]:
        _message(request, await request.body())
        return {"ok": True}

    return app


def create_naive_app() -> FastAPI:
    engine = create_engine(os.environ["PINTU_DATABASE_URL"])
    # ON CONFLICT is spelled through each dialect's own `insert`.
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.post("/webhooks/telegram")
    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> dict[str, bool]:
        update_id, chat_id = _message(request, await request.body())
        async with engine.begin() as conn:
            fresh = await conn.execute(
                insert(seen).values(update_id=update_id).on_conflict_do_nothing()
            )
            if fresh.rowcount:
                state = json.dumps({"step": "x", "at": datetime.now(UTC).isoformat()})
                await conn.execute(
                    insert(states)
                    .values(chat_id=chat_id, state=state)
                    .on_conflict_do_update(index_elements=["chat_id"], set_={"state": state})
                )
                await conn.execute(
                    outbox.insert().values(chat_id=chat_id, payload="{}", status="pending")
                )
        return {"ok": True}

    return app
