"""The WhatsApp channel, on the Cloud API (Graph API) through a thin httpx client.

Receive: ``GET /webhooks/whatsapp`` answers Meta's verification handshake.
``POST /webhooks/whatsapp`` checks ``X-Hub-Signature-256`` (HMAC-SHA256 of
the raw body with the app secret, compared in constant time; 403 and nothing
stored otherwise), then reads every message and status of the
notification into an event of its own (`WhatsAppChannel.parse`), which the
ingress handles exactly once (messages by id, statuses by id and status);
200 comes only after all of it is committed. What cannot be read or
handled becomes a dead letter of its own (still 200, so Meta stops
redelivering). Files are fetched at once: WhatsApp's links expire.

Citizens are contacts keyed by their business-scoped user id (BSUID), or by
their phone number (``wa_id``) when a payload carries no user id (the older
format); ``contacts.phone`` holds the ``wa_id``. A contact is found by
either, and gets the one it lacked when a later payload brings it: a contact
keyed by its phone number is re-keyed to the BSUID (`bot.ingress.identity`).
A citizen's message also releases what was held for them outside the
24-hour window (`bot.outbox.delivery`).

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response

from bot.domain.channel import (
    Attachment,
    ContactUnreachable,
    DeliveryReport,
    Event,
    Identity,
    OutsideWindow,
    PermanentFailure,
    Recipient,
    Said,
    Seen,
    SendError,
    SendReceipt,
    Skipped,
    TemporaryFailure,
    Throttled,
    Unreadable,
)
from bot.domain.i18n import N_, Translator
from bot.domain.messages import Outbound
from bot.handlers.webhooks import OK, Answer, Webhook, WebhookRequest, declared, refused
from bot.handlers.whatsapp.client import GraphClient, GraphError, GraphUnreachable
from bot.handlers.whatsapp.direct import read_common
from bot.handlers.whatsapp.parse import (
    CHANNEL,
    Item,
    Received,
    Report,
    decode,
    read_item,
    read_items,
)
from bot.handlers.whatsapp.render import (
    Body,
    Wording,
    envelope,
    parse_short_labels,
    render,
    template_body,
)
from bot.outbox import delivery
from bot.outbox.pacing import Pacer
from bot.runtime import Replay, Runtime

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
            wait = THROTTLE_SECONDS.get(code or 0, 5.0)
            return Throttled(said, retry_after=wait, channel_wide=code in THROTTLE_SECONDS)
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
            raise Throttled(
                "paused after error 131048 (spam rate limit)",
                retry_after=remaining,
                channel_wide=True,
            )

    def parse(self, raw: bytes, *, sender_id: str | None = None) -> list[Event]:
        """Every message and status of one notification, each an event of its own.

        Updates for another phone number id are left out; an item that cannot
        be read is an `Unreadable` of its own, so the rest is still handled. A
        citizen's text and a delivery report are read without pydantic (`direct`).
        """
        try:
            data = decode(raw)
        except ValueError as error:
            return [_unreadable(error, raw)]
        readings = read_common(data, self.phone_number_id)
        if readings is not None:
            return [self._event(item, reading) for item, reading in readings]
        try:
            items = read_items(data)
        except (ValueError, RecursionError) as error:
            return [_unreadable(error, raw)]
        events: list[Event] = []
        for item in items:
            if item.phone_number_id not in (None, self.phone_number_id):
                log.info("whatsapp: an update for another phone number id was ignored")
                continue
            try:
                events.append(self._event(item, read_item(item)))
            except Exception as error:  # any odd shape: this item only is a dead letter
                reason = f"{item.kind} could not be read: {type(error).__name__}"
                events.append(Unreadable(reason, _kept(item, raw)))
        return events

    def _event(self, item: Item, reading: Received | Report) -> Event:
        """The event of `item`, which says `reading`."""

        def keep() -> str:
            return item.as_notification()

        if isinstance(reading, Report):
            report = reading
            if report.status != "failed":
                return DeliveryReport(report.message_id, report.status, keep=keep)

            def failure(recipient: Recipient) -> SendError:
                said = report.error_title or "failed"
                return self.failure(recipient.external_id, None, report.error_code, said)

            return DeliveryReport(report.message_id, report.status, failure=failure, keep=keep)
        received = reading
        if not received.answer:
            return Seen(received.inbound.event_id)
        sender = received.sender
        media = received.media_id
        return Said(
            inbound=received.inbound,
            attachment=Attachment(file_id=media) if media is not None else None,
            identity=Identity(user_id=sender.user_id, phone=sender.wa_id),
            sent_at=received.sent_at,
            keep=keep,
        )

    async def fetch(self, attachment: Attachment) -> bytes | None:
        """A citizen's file, or None when it is too large or cannot be fetched."""
        if attachment.file_id is None:
            return None
        try:
            return await self.client.download_media(attachment.file_id, self.max_file_bytes)
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


WEBHOOK_PATH = "/webhooks/whatsapp"
SIGNATURE_HEADER = b"x-hub-signature-256"


def build_webhook(channel: WhatsAppChannel, runtime: Runtime, app_secret: str) -> Webhook:
    """``POST /webhooks/whatsapp`` for `channel`: signed with `app_secret` or refused."""

    async def whatsapp_webhook(request: WebhookRequest) -> Answer:
        raw = await request.body()
        if not is_signed(raw, request.header(SIGNATURE_HEADER), app_secret):
            return refused(403, "wrong or missing X-Hub-Signature-256")
        await runtime.intake.receive(channel, channel.parse(raw))
        return OK

    return whatsapp_webhook


def build_router(webhook: Webhook, *, verify_token: str) -> APIRouter:
    """``GET /webhooks/whatsapp``, and the ``POST`` of `webhook` declared for the OpenAPI
    schema (`bot.handlers.webhooks`)."""
    router = APIRouter(tags=["webhooks"])

    @router.get(WEBHOOK_PATH, response_class=PlainTextResponse)
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

    @router.post(WEBHOOK_PATH, response_model=dict[str, bool])
    async def whatsapp_webhook(
        request: Request,
        background: BackgroundTasks,
        x_hub_signature_256: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Cloud API notification JSON; 200 only once everything in it is committed."""
        return await declared(webhook, request, background)

    return router


def replay_for(channel: WhatsAppChannel, runtime: Runtime) -> Replay:
    """A dead letter's notification, taken again as if WhatsApp had just sent it
    (its signature was checked when it first came)."""

    async def replay(raw: bytes) -> None:
        await runtime.intake.receive(channel, channel.parse(raw))

    return replay


def _unreadable(error: Exception, raw: bytes) -> Unreadable:
    """`raw`, which is no notification, as a dead letter."""
    if isinstance(error, ValueError):
        problem = str(error)
    else:
        problem = f"not a WhatsApp notification: {type(error).__name__}"
    return Unreadable(problem, raw.decode("utf-8", errors="replace"))


def _kept(item: Item, raw: bytes) -> str:
    """`item` alone as a notification, or the whole body when it cannot be written out."""
    try:
        return item.as_notification()
    except (ValueError, RecursionError):
        return raw.decode("utf-8", errors="replace")
