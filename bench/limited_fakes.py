"""The tests' fake Telegram and WhatsApp APIs as one process, enforcing the platforms'
rate limits (`tests/support/platform_limits.py`), with counters for benchmarks.

``python -m bench.limited_fakes PORT BOT_TOKEN GRAPH_TOKEN PHONE_NUMBER_ID SCALE`` serves
the fake Bot API at ``/bot…``, the fake Graph API under ``/v25.0`` and ``/stats``:
messages accepted per channel, sends refused (429 / Graph's rate-limit errors) per
channel, and when each "watched" chat (Telegram chat ids from `WATCHED_FROM`) was
first answered. SCALE multiplies the overall limits (1: the real ones).
"""

from __future__ import annotations

import sys
import time

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI
from tests.support.platform_limits import PlatformLimits, telegram_limits, whatsapp_limits

WATCHED_FROM = 9_000_000_000  # citizens who talk to pintu during the broadcast


def scaled(limits: PlatformLimits, scale: float) -> PlatformLimits:
    limits.overall_rate *= scale
    limits.overall_burst *= scale
    return limits


class Counters:
    def __init__(self) -> None:
        self.accepted = {"telegram": 0, "whatsapp": 0}
        self.answered: dict[int, float] = {}  # watched chat -> first answer (time.time())

    def telegram(self, chat_id: int, _params: object) -> None:
        self.accepted["telegram"] += 1
        if chat_id >= WATCHED_FROM:
            self.answered.setdefault(chat_id, time.time())

    def whatsapp(self, _recipient: str, _body: object) -> None:
        self.accepted["whatsapp"] += 1


def main() -> None:
    port, bot_token, graph_token, phone_number_id, scale = sys.argv[1:6]
    counters = Counters()
    telegram = FakeBotAPI(
        token=bot_token,
        limits=scaled(telegram_limits(), float(scale)),
        on_sent=counters.telegram,
    )
    graph = FakeGraphAPI(
        token=graph_token,
        phone_number_id=phone_number_id,
        limits=scaled(whatsapp_limits(), float(scale)),
        on_sent=counters.whatsapp,
    )

    async def stats(_request: Request) -> JSONResponse:
        # Calls are kept by the fakes for tests; a benchmark needs only the counts.
        telegram.calls.clear()
        graph.calls.clear()
        assert telegram.limits is not None
        assert graph.limits is not None
        return JSONResponse(
            {
                "accepted": counters.accepted,
                "refused": {
                    "telegram": sum(telegram.limits.refusals.values()),
                    "whatsapp": sum(graph.limits.refusals.values()),
                },
                "answered": {str(chat): at for chat, at in counters.answered.items()},
            }
        )

    app = telegram.app()
    app.router.routes.append(Mount("/v25.0", app=graph.app()))
    app.router.routes.append(Route("/stats", stats))
    app.router.routes.append(Route("/healthz", lambda _request: JSONResponse({"status": "ok"})))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
