"""The WhatsApp client keeps its connections through a burst of sends.

A connection to Meta costs a TLS handshake, so a steady stream of concurrent
sends must go out on the connections already open, not on new ones (httpcore
1.0 closed an idle connection whenever its pool held more than
``max_keepalive_connections``, encode/httpcore#1000; the calls now go on
`bot.handlers.http11`, which keeps every connection it can reuse).
Observed from the fake's side: the client ports its requests came from.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from bot.handlers.whatsapp.client import CONCURRENT_CALLS, GraphClient
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.loopback import running

Scope = dict[str, Any]


@dataclass
class PortsSeen(FakeGraphAPI):
    """The fake Graph API noting each request's client port."""

    ports: list[int] = field(default_factory=list)

    def app(self) -> Starlette:
        inner = super().app()

        async def noting(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.ports.append(scope["client"][1])
            await inner(scope, receive, send)

        return noting  # type: ignore[return-value]


def text_to(number: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": number, "type": "text", "text": {"body": "ok"}}


async def test_a_burst_of_sends_reuses_its_connections() -> None:
    async with running(PortsSeen()) as fake:
        client = GraphClient(
            api_url=fake.url,
            access_token=fake.token,
            phone_number_id=fake.phone_number_id,
            timeout=5,
        )
        try:
            await asyncio.gather(*(client.send_message(text_to(str(n))) for n in range(32)))
            burst = set(fake.ports)
            fake.ports.clear()
            await asyncio.gather(*(client.send_message(text_to(str(n))) for n in range(8)))
            after = set(fake.ports)
        finally:
            await client.close()
    assert len(burst) == CONCURRENT_CALLS  # 32 sends, 16 at a time: no connection reopened
    assert after <= burst  # the next sends found them open
