"""The tests' fake platform APIs as one process, for benchmarks.

``python -m bench.fake_bot_api PORT BOT_TOKEN GRAPH_TOKEN PHONE_NUMBER_ID`` serves the
fake Bot API at ``/bot…`` and ``/file/bot…`` and the fake Graph API under ``/v25.0``.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from tests.support.fake_telegram import FakeBotAPI
from tests.support.fake_whatsapp import FakeGraphAPI


def main() -> None:
    port, bot_token, graph_token, phone_number_id = sys.argv[1:5]
    app = FakeBotAPI(token=bot_token).app()
    graph = FakeGraphAPI(token=graph_token, phone_number_id=phone_number_id).app()
    app.router.routes.append(Mount("/v25.0", app=graph))
    app.router.routes.append(Route("/healthz", lambda _request: JSONResponse({"status": "ok"})))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
