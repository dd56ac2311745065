"""The tests' fake Bot API as a process: ``python -m bench.fake_bot_api PORT TOKEN``."""

from __future__ import annotations

import sys

import uvicorn
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.fake_telegram import FakeBotAPI


def main() -> None:
    port, token = int(sys.argv[1]), sys.argv[2]
    app = FakeBotAPI(token=token).app()
    app.router.routes.append(Route("/healthz", lambda _request: JSONResponse({"status": "ok"})))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
