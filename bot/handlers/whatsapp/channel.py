"""The WhatsApp channel, on the Cloud API (Graph API) through a thin httpx client.

Receive: ``GET /webhooks/whatsapp`` answers Meta's verification handshake.
``POST /webhooks/whatsapp`` checks ``X-Hub-Signature-256`` (HMAC-SHA256 of
the raw body with the app secret, compared in constant time; 403 and nothing
stored otherwise), then handles every message and status of the
notification, each exactly once (messages by id, statuses by id and
status), and answers 200 only after all of it is committed. What cannot be
read or handled becomes a dead letter of its own (still 200, so Meta stops
redelivering). Files are fetched at once: WhatsApp's links expire.

Citizens are contacts keyed by their business-scoped user id (BSUID), or by
their phone number (``wa_id``) when a payload carries no user id (the older
format); ``contacts.phone`` holds the ``wa_id``. A contact is found by
either, and gets the one it lacked when a later payload brings it: a contact
keyed by its phone number is re-keyed to the BSUID (`whatsapp_identity`). A
citizen's message also releases what was held for them outside the 24-hour
window (`bot.outbox.delivery`).

Send: see `whatsapp_render` (buttons, lists, numbered text, location
requests) and `bot.outbox.delivery` (the window and its template notices). Pacing:
a token bucket for the number's throughput and one per citizen for the pair
rate. Errors map onto the send-error hierarchy of `bot.domain.channel`:
throttles 130429/131056/4/80007 wait and retry (131056 also slows that
citizen's bucket, backing off 4^n s); 131047 holds the message (outside the
window); 131048 (spam limit) dead-letters it and pauses all sending; 5xx and
timeouts back off; other refusals are permanent.

Platform facts: shared/PLATFORMS.md, part 2, and
https://developers.facebook.com/documentation/business-messaging/whatsapp/.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from bot.domain.channel import (
    ContactUnreachable,
    OutsideWindow,
    PermanentFailure,
    Recipient,
    SendError,
    SendReceipt,
    Skipped,
    TemporaryFailure,
    Throttled,
)
from bot.domain.i18n import N_, Translator
from bot.domain.messages import Inbound, Outbound
from bot.handlers.whatsapp.client import GraphClient, GraphError, GraphUnreachable
from bot.handlers.whatsapp.identity import identify
from bot.handlers.whatsapp.parse import (
    CHANNEL,
    Item,
    Received,
    Report,
    parse_message,
    parse_status,
    read_notification,
)
from bot.handlers.whatsapp.render import (
    Body,
    Wording,
    envelope,
    parse_short_labels,
    render,
    template_body,
)
from bot.ingress.hotpath import IdentityUnsettled
from bot.media.store import RejectedFile, Upload
from bot.outbox import delivery
from bot.outbox.deadletters import bury_now
from bot.outbox.pacing import Pacer
from bot.runtime import Runtime
from bot.storage.database import insert_ignoring_duplicates
from bot.storage.direct import run_on
from bot.storage.tables import inbound_events

log = logging.getLogger(__name__)


# Graph error codes, from shared/PLATFORMS.md part 2: Meta's …/about-the-platform (pair
# rate) and …/throughput (130429) pages, and pywa's errors.py for the rest.
THROTTLE_SECONDS = {130429: 1.0, 4: 60.0, 80007: 60.0}  # number, app, account rate limits
PAIR_RATE = 131056  # too many messages to one citizen: retry after 4^n s
PAIR_BACKOFF_MAX = 900.0
OUTSIDE_WINDOW = 131047  # more than 24 hours since the citizen's last message
SPAM_LIMIT = 131048  # too many of the number's messages were blocked or reported
UNDELIVERABLE = frozenset({131026})  # not on WhatsApp, old app, terms not accepted
TEMPORARY = frozenset({1, 2, 131000, 131016, 133004})
TOKEN_REJECTED = 190


@dataclass(frozen=True, slots=True)
class Templates:
    """Approved templates that announce news outside the 24-hour window."""

    names: Mapping[str, str]  # notice purpose (`bot.delivery.Notice`) -> template name
    languages: Mapping[str, str]  # citizen locale -> template language code
    parameter: str | None = None  # the reference's parameter name; None: positional

    def body(self, message: Outbound, locale: str) -> Body:
        purpose = message.meta.get(delivery.NOTICE, "")
        name = self.names.get(purpose)
        if not name:
            raise Skipped(f"no approved template configured for {purpose or 'these'} notices")
        language = self.languages.get(locale) or next(iter(self.languages.values()), locale)
        return template_body(
            name=name,
            language=language,
            reference=message.meta.get(delivery.REFERENCE, ""),
            parameter_name=self.parameter,
        )


class WhatsAppChannel:
    """Sends through the Graph API, fetches files, and reads Graph's refusals."""

    channel = CHANNEL

    def __init__(
        self,
        *,
        client: GraphClient,
        phone_number_id: str,
        pacer: Pacer,
        translator: Translator,
        templates: Templates,
        max_file_bytes: int,
        spam_pause_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.phone_number_id = phone_number_id
        self.pacer = pacer
        self.translator = translator
        self.templates = templates
        self.max_file_bytes = max_file_bytes
        self.spam_pause_seconds = spam_pause_seconds
        self._monotonic = monotonic
        self._paused_until = 0.0
        self._strikes: dict[str, int] = {}  # 131056 answers in a row, per citizen
        self._wordings: dict[str, Wording] = {}

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        self._refuse_while_paused()
        body = envelope(recipient, self.content(message, recipient.locale))
        await self.pacer.acquire(recipient.external_id)
        try:
            message_id = await self.client.send_message(body)
        except GraphUnreachable as error:
            raise TemporaryFailure(f"no answer ({error}): outcome unknown") from None
        except GraphError as error:
            raise self.failure(
                recipient.external_id, error.status, error.code, error.message
            ) from None
        self._strikes.pop(recipient.external_id, None)
        return SendReceipt(external_id=message_id)

    def content(self, message: Outbound, locale: str) -> Body:
        """The platform form of `message`: a template for a notice, else text or interactive."""
        if delivery.is_notice(message):
            return self.templates.body(message, locale)
        return render(message, self.wording(locale))

    def wording(self, locale: str) -> Wording:
        if locale not in self._wordings:
            text = self.translator.text
            self._wordings[locale] = Wording(
                list_button=text(locale, N_("whatsapp.list_button")),
                numbered_hint=text(locale, N_("whatsapp.numbered_hint")),
                short_labels=parse_short_labels(text(locale, N_("whatsapp.short_labels"))),
            )
        return self._wordings[locale]

    def failure(self, citizen: str, status: int | None, code: int | None, reason: str) -> SendError:
        """What a Graph refusal means for the message (at send time or in a status webhook)."""
        said = f"{code} {reason}" if code is not None else f"HTTP {status} {reason}"
        if code is None and status is None:  # a failed status without an error
            said = reason
        if code == PAIR_RATE:
            strikes = self._strikes.get(citizen, 0)
            self._strikes[citizen] = strikes + 1
            self.pacer.slow_down(citizen, self.pacer.per_recipient_rate / 2 ** (strikes + 1))
            return Throttled(said, retry_after=min(PAIR_BACKOFF_MAX, 4.0**strikes))
        if code in THROTTLE_SECONDS or status == 429:
            return Throttled(said, retry_after=THROTTLE_SECONDS.get(code or 0, 5.0))
        if code == OUTSIDE_WINDOW:
            return OutsideWindow(said)
        if code == SPAM_LIMIT:
            self._pause()
            return PermanentFailure(f"{said} (sending paused: spam rate limit)")
        if code in UNDELIVERABLE:
            return ContactUnreachable(said)
        if code == TOKEN_REJECTED or status == 401:  # our configuration: keep the message
            return TemporaryFailure(f"access token rejected: {said}")
        if code in TEMPORARY or (status or 0) >= 500:
            return TemporaryFailure(said)
        return PermanentFailure(said)

    def _pause(self) -> None:
        self._paused_until = self._monotonic() + self.spam_pause_seconds
        log.error(
            "whatsapp: error 131048, spam rate limit: Meta restricts this number because "
            "recipients blocked or reported its messages. Sending is paused for %.0f s; the "
            "refused message is in the dead letters. Check the number's quality in "
            "WhatsApp Manager.",
            self.spam_pause_seconds,
        )

    def _refuse_while_paused(self) -> None:
        remaining = self._paused_until - self._monotonic()
        if remaining > 0:
            raise Throttled("paused after error 131048 (spam rate limit)", retry_after=remaining)

    async def fetch(self, media_id: str) -> bytes | None:
        """A citizen's file, or None when it is too large or cannot be fetched."""
        try:
            return await self.client.download_media(media_id, self.max_file_bytes)
        except (GraphError, GraphUnreachable) as error:
            log.warning("whatsapp media fetch failed: %s", error)
            return None

    async def close(self) -> None:
        await self.client.close()


# -- the webhook ------------------------------------------------------------------------


def is_signed(raw: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is ``sha256=<HMAC-SHA256 of raw with the app secret>``."""
    if header is None or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(
        header.removeprefix("sha256=").strip().lower().encode(), expected.encode()
    )


def build_router(channel: WhatsAppChannel, *, verify_token: str, app_secret: str) -> APIRouter:
    """``GET`` and ``POST /webhooks/whatsapp`` for `channel`."""
    router = APIRouter(tags=["webhooks"])

    @router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
    async def whatsapp_verification(
        mode: Annotated[str | None, Query(alias="hub.mode")] = None,
        token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
        challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
    ) -> PlainTextResponse:
        """Meta's handshake: the challenge back as text/plain when the verify token matches."""
        genuine = token is not None and hmac.compare_digest(token.encode(), verify_token.encode())
        if mode != "subscribe" or not genuine or not challenge:
            raise HTTPException(403, "verification failed")
        return PlainTextResponse(challenge)

    @router.post("/webhooks/whatsapp")
    async def whatsapp_webhook(
        request: Request,
        x_hub_signature_256: Annotated[str | None, Header()] = None,
    ) -> dict[str, bool]:
        """Cloud API notification JSON; 200 only once everything in it is committed."""
        raw = await request.body()
        if not is_signed(raw, x_hub_signature_256, app_secret):
            raise HTTPException(403, "wrong or missing X-Hub-Signature-256")
        runtime: Runtime = request.app.state.runtime
        await receive(runtime, channel, raw)
        return {"ok": True}

    return router


async def receive(runtime: Runtime, channel: WhatsAppChannel, raw: bytes) -> None:
    """Handle every message and status in one notification, each on its own."""
    try:
        items = read_notification(raw)
    except ValueError as error:
        await _dead_letter(runtime, str(error), raw.decode("utf-8", errors="replace"))
        return
    for item in items:
        if item.phone_number_id not in (None, channel.phone_number_id):
            log.info("whatsapp: an update for another phone number id was ignored")
            continue
        try:
            await _handle(runtime, channel, item)
        except Exception as error:  # never a 5xx: keep the item for an admin instead
            reason = f"{item.kind} could not be handled: {type(error).__name__}"
            if not isinstance(error, ValueError):
                # The type and place only: messages of database errors carry the
                # statement's parameters, which can be a citizen's phone number.
                log.error("whatsapp %s (%s)", reason, _where(error))
            await _dead_letter(runtime, reason, item.as_notification())


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


async def _handle(runtime: Runtime, channel: WhatsAppChannel, item: Item) -> None:
    if item.kind == "status":
        await _on_status(runtime, channel, parse_status(item))
    else:
        await _on_message(runtime, channel, parse_message(item))


async def _on_message(runtime: Runtime, channel: WhatsAppChannel, received: Received) -> None:
    if not received.answer:
        await runtime.runner.record_only(CHANNEL, received.inbound.event_id)
        return
    sender = received.sender
    key = sender.user_id or sender.wa_id or ""
    inbound = replace(received.inbound, sender_id=key, verify_identity=True)
    upload = None
    if received.media_id is not None:
        data = await channel.fetch(received.media_id)
        upload = Upload(data) if data else None
    try:
        await _hand_in(runtime, inbound, upload)
    except IdentityUnsettled:  # rare: a new BSUID, a changed number, messages held
        external_id = await _reconcile(runtime, received)
        settled_inbound = replace(inbound, sender_id=external_id, verify_identity=False)
        await _hand_in(runtime, settled_inbound, upload)


async def _hand_in(runtime: Runtime, inbound: Inbound, upload: Upload | None) -> None:
    try:
        await runtime.runner.handle(inbound, upload)
    except RejectedFile:
        await runtime.runner.handle(inbound)  # the engine explains the refusal


async def _reconcile(runtime: Runtime, received: Received) -> str:
    """Fix the contact's identifiers and release what was held; the contact's external id."""
    now = runtime.clock.now()
    async with runtime.db.begin() as conn:
        external_id, contact_id = await identify(conn, received.sender)
        released = 0
        if contact_id is not None and _recent(received.sent_at, now):
            held_for = contact_id
            released = await run_on(
                conn, lambda tx: delivery.release_held(tx, contact_id=held_for, now=now)
            )
    if released:
        runtime.sender.wake()
    return external_id


def _recent(sent_at: datetime | None, now: datetime) -> bool:
    """Whether a message still opens the window (an old redelivery does not)."""
    window = delivery.WINDOWS[CHANNEL]
    return sent_at is None or now - sent_at < window


async def _on_status(runtime: Runtime, channel: WhatsAppChannel, report: Report) -> None:
    now = runtime.clock.now()
    retry = False
    async with runtime.db.begin() as conn:
        seen = {"channel": CHANNEL, "external_id": report.event_id, "received_at": now}
        if not await insert_ignoring_duplicates(conn, inbound_events, seen):
            return
        if report.status == "failed":

            def failure(recipient: Recipient) -> SendError:
                said = report.error_title or "failed"
                return channel.failure(recipient.external_id, None, report.error_code, said)

            retry = await run_on(
                conn,
                lambda tx: runtime.sender.record_late_failure(
                    tx, channel=CHANNEL, external_message_id=report.message_id, failure=failure
                ),
            )
        else:
            await run_on(
                conn,
                lambda tx: delivery.record_report(
                    tx,
                    channel=CHANNEL,
                    external_message_id=report.message_id,
                    status=report.status,
                ),
            )
    if retry:
        runtime.sender.wake()


async def _dead_letter(runtime: Runtime, reason: str, payload: str) -> None:
    await bury_now(
        runtime.db,
        source="whatsapp:webhook",
        reason=reason,
        payload=payload,
        now=runtime.clock.now(),
    )
