"""The composition root: builds the one ASGI app from bot, channels and back-office.

This module and `bot.cli` are the only places in `bot` that import
`backoffice`; everything else depends one way (DESIGN §2).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from backoffice import security, transparency
from backoffice import web as inbox
from backoffice.api import build_api_router
from backoffice.bootstrap import ensure_first_admin, ensure_units
from bot.domain.channel import ChannelHandler
from bot.domain.clock import Clock, SystemClock
from bot.domain.i18n import Translator
from bot.handlers import telegram, web
from bot.handlers.correlation import RequestCorrelation
from bot.handlers.http_limits import BodySizeLimit
from bot.handlers.security_headers import SecurityHeaders
from bot.handlers.validation import validation_failed
from bot.handlers.web_limits import WebLimits
from bot.handlers.web_tokens import BrowserTokens
from bot.handlers.webhooks import Answer, FastRoute, FastWebhooks, refused
from bot.handlers.whatsapp import channel as whatsapp
from bot.handlers.whatsapp.client import GraphClient
from bot.outbox.delivery import Notice
from bot.outbox.pacing import Pacer
from bot.runtime import Runtime, build_runtime
from bot.scheduler import Scheduler
from bot.services.allowances import SharedAllowances
from bot.settings import Settings
from bot.storage import faults
from bot.storage.migrate import upgrade_database

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, run_workers: bool = True
) -> FastAPI:
    """The whole service. `run_workers=False` leaves the outbox sender and the
    scheduler to the caller (tests drive them step by step)."""
    settings = settings or Settings()
    security.use_password_cost(security.PasswordCost(settings.password_cost))
    web_channel = web.WebChannel()
    web_hub = web.WebHub()
    handlers: dict[str, ChannelHandler] = {web_channel.channel: web_channel}
    telegram_channel = telegram_from(settings)
    if telegram_channel is not None:
        handlers[telegram_channel.channel] = telegram_channel
    whatsapp_channel = whatsapp_from(settings)
    if whatsapp_channel is not None:
        handlers[whatsapp_channel.channel] = whatsapp_channel
    collected = frozenset({web_channel.channel})  # sending is recording: no platform to pace
    runtime = build_runtime(settings, clock or SystemClock(), handlers, collected=collected)
    runtime.sender.sent_listeners.append(web_hub.notify)
    if telegram_channel is not None:
        runtime.replays["telegram:webhook"] = telegram.replay_for(telegram_channel, runtime)
    if whatsapp_channel is not None:
        runtime.replays["whatsapp:webhook"] = whatsapp.replay_for(whatsapp_channel, runtime)
    scheduler = Scheduler(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await upgrade_database(runtime.db)
        await ensure_units(runtime.db, settings, runtime.clock)
        password = await ensure_first_admin(runtime.db, settings, runtime.clock)
        if password is not None:
            announce_admin(settings.admin_username, password)
        settle_garbage_collector()
        workers: list[asyncio.Task[None]] = []
        if run_workers:
            workers.append(asyncio.create_task(runtime.sender.run_forever()))
            workers.append(asyncio.create_task(scheduler.lead()))
        try:
            yield
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await scheduler.stop()
            if telegram_channel is not None:
                await telegram_channel.close()
            if whatsapp_channel is not None:
                await whatsapp_channel.close()
            await runtime.close()

    fast_routes: dict[str, FastRoute] = {}
    app = PintuApp(
        fast_routes,
        title="pintu",
        summary="Chat front door of a regional police unit: citizen channels and officer API.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from the package by the back-office (works offline)
        redoc_url=None,  # ReDoc loads its script from a CDN: /docs is the offline one
    )
    app.state.runtime = runtime
    app.add_exception_handler(RequestValidationError, validation_failed)
    for kind in faults.CAUGHT:
        app.add_exception_handler(kind, database_unavailable)
    app.state.password_checks = security.PasswordChecks(
        concurrent=settings.password_checks_concurrent, waiting=settings.password_checks_waiting
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        upload_bytes=settings.max_upload_bytes,
        upload_paths=("/chat/api/media",),
        # Meta batches up to 1000 updates, up to 3 MB, in one WhatsApp notification: an
        # unsigned body is read no further than that before its signature is checked.
        path_limits={whatsapp.WEBHOOK_PATH: settings.whatsapp_max_body_bytes},
    )
    app.add_middleware(RequestCorrelation)  # outermost: the 413s above carry an id too
    # The platforms' webhooks: answered in front of all of this (`FastWebhooks`),
    # declared here for the schema, and first: every request walks the routes in order.
    if telegram_channel is not None:
        secret = settings.telegram_webhook_secret
        assert secret is not None  # checked by telegram_from
        hook = telegram.build_webhook(telegram_channel, runtime, secret.get_secret_value())
        fast_routes[telegram.WEBHOOK_PATH] = FastRoute(hook, settings.max_request_bytes)
        app.include_router(telegram.build_router(hook))
    if whatsapp_channel is not None:
        verify_token, app_secret = settings.whatsapp_verify_token, settings.whatsapp_app_secret
        assert verify_token is not None  # checked by whatsapp_from
        assert app_secret is not None
        hook = whatsapp.build_webhook(whatsapp_channel, runtime, app_secret.get_secret_value())
        fast_routes[whatsapp.WEBHOOK_PATH] = FastRoute(hook, settings.whatsapp_max_body_bytes)
        app.include_router(
            whatsapp.build_router(hook, verify_token=verify_token.get_secret_value())
        )
    app.add_middleware(SecurityHeaders, prefixes=("/chat",), headers=web.HEADERS)
    tokens = BrowserTokens(
        runtime.secret_key, lifetime=timedelta(days=settings.web_token_days), clock=runtime.clock
    )
    limits = WebLimits.from_settings(
        settings, SharedAllowances(runtime.db, runtime.secret_key, runtime.clock)
    )
    app.include_router(web.build_router(tokens, web_hub, limits))
    app.include_router(build_api_router())
    app.include_router(transparency.build_router())
    inbox.install(app)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        try:
            await _ping(runtime)
        except Exception:
            log.warning("health check: database does not answer")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app


class PintuApp(FastAPI):
    """FastAPI with the platforms' webhooks answered in front of its middleware stack."""

    def __init__(self, fast_routes: Mapping[str, FastRoute], **options: Any) -> None:
        super().__init__(**options)
        self.fast_routes = fast_routes

    def build_middleware_stack(self) -> ASGIApp:
        return FastWebhooks(super().build_middleware_stack(), self.fast_routes, unavailable)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A webhook goes straight to the stack's front (`FastWebhooks`): FastAPI's own
        call first looks for OpenTelemetry in the environment, some 15 µs a request."""
        if scope["type"] == "http" and scope["path"] in self.fast_routes:
            if self.root_path:
                scope["root_path"] = self.root_path
            await Starlette.__call__(self, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


RETRY_AFTER_SECONDS = 5


def unavailable(error: Exception, method: str, path: str) -> Answer | None:
    """503 for a route that met a fault of the database itself (`bot.storage.faults`):
    a platform redelivers a webhook answered so (a 500 would blame the request, a 200
    say it was kept). Other errors, other database errors too, get None: a 500. The
    error's type and the path only are logged: database errors carry parameters,
    query strings secrets."""
    if not isinstance(error, faults.CAUGHT) or not faults.is_unavailable(error):
        return None
    log.warning("database unavailable (%s): %s %s answered 503", type(error).__name__, method, path)
    return refused(
        503,
        "the database is unavailable for a moment; try again shortly",
        headers=((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),),
    )


async def database_unavailable(request: Request, error: Exception) -> Response:
    """`unavailable` as the exception handler of the app's own routes."""
    answer = unavailable(error, request.method, request.url.path)
    if answer is None:
        raise error
    return answer.response()


def headroom(rate: float) -> float:
    """The channel-wide burst pintu allows itself: half a second's worth.

    The platform allows about a second's worth at once. Sending at the full
    rate after spending all of it would leave the platform's budget empty,
    and a few milliseconds of network jitter would then bring two sends
    closer than it takes: a 429. Half the burst keeps the other half as slack
    (measured in bench/broadcast.py: zero refusals at 99.9 % of the rate).
    """
    return max(1.0, rate / 2)


def telegram_from(settings: Settings) -> telegram.TelegramChannel | None:
    """The Telegram channel when a bot token is configured (then a secret is required)."""
    if settings.telegram_bot_token is None:
        return None
    if settings.telegram_webhook_secret is None:
        raise ValueError("PINTU_TELEGRAM_WEBHOOK_SECRET is required when Telegram is on")
    pacer = Pacer(
        overall_rate=settings.telegram_messages_per_second,
        overall_burst=headroom(settings.telegram_messages_per_second),
        per_recipient_rate=settings.telegram_chat_messages_per_second,
        per_recipient_burst=settings.telegram_chat_burst,
    )
    return telegram.TelegramChannel(
        token=settings.telegram_bot_token.get_secret_value(),
        api_url=settings.telegram_api_url,
        pacer=pacer,
        max_file_bytes=settings.max_upload_bytes,
        timeout=settings.telegram_timeout_seconds,
    )


def whatsapp_from(settings: Settings) -> whatsapp.WhatsAppChannel | None:
    """The WhatsApp channel when an access token is configured (then the rest is required)."""
    if settings.whatsapp_access_token is None:
        return None
    required = {
        "PINTU_WHATSAPP_PHONE_NUMBER_ID": settings.whatsapp_phone_number_id,
        "PINTU_WHATSAPP_APP_SECRET": settings.whatsapp_app_secret,
        "PINTU_WHATSAPP_VERIFY_TOKEN": settings.whatsapp_verify_token,
    }
    missing = [name for name, value in required.items() if not value]
    if missing or settings.whatsapp_phone_number_id is None:
        raise ValueError(
            f"{', '.join(missing)} required when WhatsApp is on "
            "(PINTU_WHATSAPP_ACCESS_TOKEN is set)"
        )
    client = GraphClient(
        api_url=settings.whatsapp_api_url,
        access_token=settings.whatsapp_access_token.get_secret_value(),
        phone_number_id=settings.whatsapp_phone_number_id,
        timeout=settings.whatsapp_timeout_seconds,
        download_hosts=tuple(settings.media_download_hosts),
    )
    pacer = Pacer(
        overall_rate=settings.whatsapp_messages_per_second,
        overall_burst=headroom(settings.whatsapp_messages_per_second),
        per_recipient_rate=1 / settings.whatsapp_pair_seconds,
        per_recipient_burst=settings.whatsapp_pair_burst,
    )
    names = {
        Notice.REPLY.value: settings.whatsapp_reply_template,
        Notice.UPDATE.value: settings.whatsapp_update_template,
        Notice.SURVEY.value: settings.whatsapp_survey_template,
        Notice.BROADCAST.value: settings.whatsapp_broadcast_template,
    }
    templates = whatsapp.Templates(
        names={purpose: name for purpose, name in names.items() if name},
        languages=settings.whatsapp_template_languages,
        parameter=settings.whatsapp_template_parameter,
    )
    return whatsapp.WhatsAppChannel(
        client=client,
        phone_number_id=settings.whatsapp_phone_number_id,
        pacer=pacer,
        translator=Translator(settings.locales_dir, settings.default_locale, settings.timezone),
        templates=templates,
        max_file_bytes=settings.max_upload_bytes,
        spam_pause_seconds=settings.whatsapp_spam_pause_seconds,
    )


async def _ping(runtime: Runtime) -> None:
    async with runtime.db.connect() as conn:
        await conn.execute(text("SELECT 1"))


def settle_garbage_collector() -> None:
    """Move everything start-up built out of the collector's sight.

    Catalogs, the intent classifier, the libraries' module objects: they live
    as long as the process, yet every full collection would walk them again.
    Measured on the webhook benchmark: a full collection fell from about
    87 ms to about 5 ms, and p99 latency from about 120 ms to about 55 ms.
    """
    gc.collect()
    gc.freeze()
    # Fewer, still small, young collections: each one pauses every request.
    gc.set_threshold(20_000, 20, 20)


def announce_admin(username: str, password: str) -> None:
    """Show a generated admin password once, on the console (never in the logs)."""
    print(  # noqa: T201 - for the operator
        f"\n  pintu: created the first admin.\n"
        f"  Log in with username {username!r} and password {password!r}\n"
        f"  (shown only now; set PINTU_ADMIN_PASSWORD to choose it yourself).\n",
        flush=True,
    )
