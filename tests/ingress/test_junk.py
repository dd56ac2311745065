"""Authenticated junk at the webhooks: always 2xx, handled or kept as a dead letter.

Played against a real uvicorn server, because the harm of a 5xx went past
the answer: uvicorn closed the connection, and the platform's next update
on it failed too. Each test checks that the next request travels on the
same connection. The property tests mutate real payloads with hypothesis
(keys dropped, types changed, deep nesting, huge strings), all against one
app per test, in an event loop of the test's own.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.app import create_app
from bot.domain.clock import ManualClock
from bot.handlers.whatsapp.parse import decode, read_items
from bot.runtime import Runtime
from bot.settings import Settings
from bot.storage.tables import dead_letters, inbound_events
from tests.conftest import START
from tests.support.fake_telegram import FakeBotAPI, message_update, text_update
from tests.support.fake_whatsapp import (
    PHONE_NUMBER_ID,
    FakeGraphAPI,
    message,
    next_message_id,
    notification,
    profile,
    sign,
    status,
)
from tests.support.loopback import running
from tests.support.telegram_citizen import SECRET, telegram_settings
from tests.support.whatsapp_citizen import whatsapp_settings

Json = Any
CHAT = 5550777
BSUID = "ID.777"
WA_ID = "6281200000777"
DEEP = "\x00deep\x00"  # stands for a nested array too deep for json.dumps to write
_update_ids = itertools.count(700_000)


@dataclass
class Served:
    """The app under test, served by uvicorn on loopback (its lifespan already entered)."""

    application: FastAPI
    url: str = ""

    def app(self) -> Starlette:
        return self.application


@dataclass
class Webhooks:
    http: httpx.AsyncClient
    runtime: Runtime

    async def telegram(self, raw: bytes) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"}
        return await self.http.post("/webhooks/telegram", content=raw, headers=headers)

    async def whatsapp(self, raw: bytes) -> httpx.Response:
        headers = {"X-Hub-Signature-256": sign(raw), "content-type": "application/json"}
        return await self.http.post("/webhooks/whatsapp", content=raw, headers=headers)

    async def recorded(self) -> int:
        """Inbound events and dead letters: every handled or kept payload adds to one."""
        async with self.runtime.db.connect() as conn:
            events = await conn.scalar(select(func.count()).select_from(inbound_events))
            letters = await conn.scalar(select(func.count()).select_from(dead_letters))
        return int(events or 0) + int(letters or 0)

    async def same_connection_still_works(self, before: httpx.Response) -> None:
        """A fresh, good update is answered on the connection `before` came on."""
        update = text_update(next(_update_ids), CHAT + 1, "halo")
        after = await self.telegram(json.dumps(update).encode())
        assert after.status_code == 200, after.text
        assert _local_port(after) == _local_port(before)


def _local_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


@asynccontextmanager
async def webhooks(settings: Settings) -> AsyncIterator[Webhooks]:
    """The app with Telegram and WhatsApp on, behind uvicorn, and one keep-alive client."""
    async with running(FakeBotAPI()) as api, running(FakeGraphAPI()) as graph:
        both = telegram_settings(whatsapp_settings(settings, graph), api)
        application = create_app(both, clock=ManualClock(START))
        async with (
            application.router.lifespan_context(application),
            running(Served(application)) as served,
            httpx.AsyncClient(base_url=served.url, limits=httpx.Limits(max_connections=1)) as http,
        ):
            yield Webhooks(http, application.state.runtime)


@pytest.fixture
def loop() -> Iterator[asyncio.Runner]:
    """An event loop of the test's own: hypothesis calls the test body many times, synchronously."""
    with asyncio.Runner() as runner:
        yield runner


def with_webhooks(
    loop: asyncio.Runner, settings: Settings, check: Callable[[Webhooks], Any]
) -> None:
    """Start one app, run `check(webhooks)` (it may call `loop.run` itself), stop the app."""
    opened = webhooks(settings)
    hooks = loop.run(opened.__aenter__())
    try:
        check(hooks)
    finally:
        loop.run(opened.__aexit__(None, None, None))


# -- the cases found by hand ---------------------------------------------------------------


KICKED_WITHOUT_UNTIL_DATE = {
    "my_chat_member": {
        "chat": {"id": CHAT, "type": "private"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Siti"},
        "date": 1_790_000_000,
        "old_chat_member": {
            "status": "member",
            "user": {"id": 1, "is_bot": True, "first_name": "p"},
        },
        "new_chat_member": {  # "kicked" needs until_date: python-telegram-bot raises TypeError
            "status": "kicked",
            "user": {"id": 1, "is_bot": True, "first_name": "p"},
        },
    },
}
DEEP_ARRAY = b"[" * 5000 + b"]" * 5000


async def test_a_kicked_member_without_until_date_is_a_dead_letter(settings: Settings) -> None:
    async with webhooks(settings) as hooks:
        update = {"update_id": next(_update_ids)} | KICKED_WITHOUT_UNTIL_DATE
        response = await hooks.telegram(json.dumps(update).encode())
        assert response.status_code == 200
        async with hooks.runtime.db.connect() as conn:
            letter = (await conn.execute(select(dead_letters))).one()
        assert letter.source == "telegram:webhook"
        assert "TypeError" in letter.reason
        assert '"kicked"' in letter.payload
        await hooks.same_connection_still_works(response)


@pytest.mark.parametrize("platform", ["telegram", "whatsapp"])
async def test_a_5000_deep_array_is_a_dead_letter(settings: Settings, platform: str) -> None:
    async with webhooks(settings) as hooks:
        post = hooks.telegram if platform == "telegram" else hooks.whatsapp
        response = await post(DEEP_ARRAY)
        assert response.status_code == 200
        assert await hooks.recorded() == 1
        await hooks.same_connection_still_works(response)


async def test_a_deep_array_inside_a_whatsapp_message_is_a_dead_letter(
    settings: Settings,
) -> None:
    async with webhooks(settings) as hooks:
        text = message("text", user_id=BSUID, wa_id=WA_ID, text={"body": DEEP})
        raw = encode(notification(messages=[text], contacts=[profile(user_id=BSUID, wa_id=WA_ID)]))
        response = await hooks.whatsapp(raw)
        assert response.status_code == 200
        assert await hooks.recorded() == 1
        await hooks.same_connection_still_works(response)


# -- mutations of real payloads ------------------------------------------------------------


def encode(payload: Json) -> bytes:
    """JSON of `payload`, with each `DEEP` written as a 5,000-deep nested array."""
    raw = json.dumps(payload, ensure_ascii=False).encode()
    return raw.replace(json.dumps(DEEP).encode(), DEEP_ARRAY)


def paths(value: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found


def mutated(payload: Json, changes: list[tuple[str, int, Json]]) -> Json:
    """`payload` with each change applied: ("drop" | "set", which path, new value)."""
    result = copy.deepcopy(payload)
    for operation, which, value in changes:
        found = paths(result)
        if not found:
            break
        *parents, last = found[which % len(found)]
        holder = result
        for key in parents:
            holder = holder[key]
        if operation == "drop":
            del holder[last]
        else:
            holder[last] = value
    return result


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.just("x" * 200_000),
    st.just(DEEP),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.recursive(st.just([]), lambda inner: st.lists(inner, max_size=2), max_leaves=50),
)
CHANGES = st.lists(
    st.tuples(st.sampled_from(["drop", "set"]), st.integers(min_value=0), ODD_VALUES),
    min_size=1,
    max_size=3,
)
FAST = hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def telegram_payloads() -> list[Json]:
    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 9, "height": 9, "file_size": 9}]
    press = {
        "update_id": 0,
        "callback_query": {
            "id": "cq-1",
            "from": {"id": CHAT, "is_bot": False, "first_name": "Siti"},
            "chat_instance": "ci-1",
            "data": "tok|complaint",
            "message": {
                "message_id": 4242,
                "date": 1_790_000_000,
                "chat": {"id": CHAT, "type": "private"},
                "text": "Pilih salah satu",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "Pengaduan", "callback_data": "tok|complaint"}]]
                },
            },
        },
    }
    return [
        text_update(0, CHAT, "halo"),
        message_update(0, CHAT, photo=photo, caption="foto"),
        message_update(0, CHAT, location={"latitude": -6.2, "longitude": 106.8}),
        press,
        {"update_id": 0} | KICKED_WITHOUT_UNTIL_DATE,
    ]


def whatsapp_payloads() -> list[Json]:
    me = [profile(user_id=BSUID, wa_id=WA_ID)]
    reply = {"type": "button_reply", "button_reply": {"id": "tok|complaint", "title": "Aduan"}}
    return [
        notification(messages=[message("text", user_id=BSUID, wa_id=WA_ID)], contacts=me),
        notification(
            messages=[message("interactive", user_id=BSUID, wa_id=WA_ID, interactive=reply)],
            contacts=me,
        ),
        notification(
            messages=[message("image", user_id=BSUID, wa_id=WA_ID, image={"id": "m1"})],
            contacts=me,
        ),
        notification(statuses=[status("wamid.OUT1", "delivered", wa_id=WA_ID)]),
        notification(
            statuses=[status("wamid.OUT2", "failed", errors=[{"code": 131026, "title": "x"}])]
        ),
    ]


def test_mutated_telegram_updates_are_handled_or_kept(
    loop: asyncio.Runner, settings: Settings
) -> None:
    seen_ids: set[Any] = set()

    def check(hooks: Webhooks) -> None:
        @FAST
        @given(payload=st.sampled_from(telegram_payloads()), changes=CHANGES)
        def one_update(payload: Json, changes: list[tuple[str, int, Json]]) -> None:
            payload = dict(payload, update_id=next(_update_ids))
            if "message" in payload:
                payload["message"] = dict(payload["message"], message_id=payload["update_id"])
            payload = mutated(payload, changes)
            update_id = payload.get("update_id") if isinstance(payload, dict) else None
            repeated = isinstance(update_id, int) and update_id in seen_ids
            if isinstance(update_id, int):
                seen_ids.add(update_id)
            loop.run(posted(hooks, hooks.telegram, encode(payload), may_be_ignored=repeated))

        one_update()

    with_webhooks(loop, settings, check)


def test_mutated_whatsapp_notifications_are_handled_or_kept(
    loop: asyncio.Runner, settings: Settings
) -> None:
    def check(hooks: Webhooks) -> None:
        @FAST
        @given(payload=st.sampled_from(whatsapp_payloads()), changes=CHANGES)
        def one_notification(payload: Json, changes: list[tuple[str, int, Json]]) -> None:
            payload = copy.deepcopy(payload)
            for item in payload["entry"][0]["changes"][0]["value"].get("messages", []):
                item["id"] = next_message_id()  # a fresh event each time, unless mutated
            raw = encode(mutated(payload, changes))
            loop.run(posted(hooks, hooks.whatsapp, raw, may_be_ignored=_ignorable(raw)))

        one_notification()

    with_webhooks(loop, settings, check)


async def posted(
    hooks: Webhooks,
    post: Callable[[bytes], Any],
    raw: bytes,
    *,
    may_be_ignored: bool,
) -> None:
    before = await hooks.recorded()
    response: httpx.Response = await post(raw)
    assert response.status_code == 200, response.text
    if not may_be_ignored:
        assert await hooks.recorded() > before, "neither handled nor kept"
    await hooks.same_connection_still_works(response)


def _ignorable(raw: bytes) -> bool:
    """Whether pintu may rightly leave a readable notification unrecorded: nothing in it
    for this phone number (other numbers, other fields), or only a redelivered id."""
    try:
        items = read_items(decode(raw))
    except (ValueError, RecursionError):
        return False  # unreadable: must be a dead letter
    ours = [item for item in items if item.phone_number_id in (None, PHONE_NUMBER_ID)]
    if not ours:
        return True
    # a status's id and status, or a message id, may repeat an earlier example's
    return any(item.kind == "status" or "id" not in item.data for item in ours) or any(
        not isinstance(item.data.get("id"), str) for item in ours
    )
