"""The Telegram channel, on python-telegram-bot's `telegram.Bot` and types only.

Receive: `POST /webhooks/telegram` checks the secret header in constant time,
parses the Update into an event (a citizen's `Inbound`, deduplicated by
``update_id``), which the ingress handles in one transaction, fetching a
photo or document through ``getFile`` first; 200 comes only after that
commit. Updates from the duty group go to `telegram_duty` instead. What
cannot be read or handled becomes a dead letter (still 200, so Telegram
stops redelivering).

Send: text goes as HTML with everything escaped (only pintu's own ``*bold*``
becomes ``<b>``); choices are an inline keyboard whose callback data is
``<prompt token>|<choice id>`` (≤ 64 bytes), so a press on an outdated
keyboard is recognised; a location or contact request is a one-time reply
keyboard. Button presses are acknowledged with ``answerCallbackQuery`` and
the prompt is edited to show the answer chosen.

Platform facts: https://core.telegram.org/bots/api (see shared/PLATFORMS.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import html
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Request
from fastapi.responses import Response
from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.domain.channel import (
    Attachment,
    ContactUnreachable,
    Event,
    PermanentFailure,
    Reachability,
    Recipient,
    Said,
    Seen,
    SendReceipt,
    TemporaryFailure,
    Throttled,
    Unreadable,
)
from bot.domain.i18n import N_, Translator
from bot.domain.messages import (
    REQUEST_CONTACT,
    REQUEST_LOCATION,
    Expect,
    Inbound,
    InboundKind,
    Location,
    Outbound,
    plain_label,
)
from bot.handlers.http11 import direct_transport
from bot.handlers.telegram_duty import handle_duty_update, is_from_duty_group
from bot.handlers.telegram_json import private_text
from bot.handlers.webhooks import OK, Answer, Webhook, WebhookRequest, declared, refused
from bot.outbox.pacing import Pacer
from bot.runtime import Replay, Runtime

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
CALLBACK_DATA_BYTES = 64
SEND_CONNECTIONS = 16  # 30 messages/s need a few calls in flight
_BOLD = re.compile(r"\*([^*\n]+)\*")


# -- rendering ------------------------------------------------------------------


def to_html(text: str) -> str:
    """Citizen-safe HTML: everything escaped, then pintu's ``*emphasis*`` made bold."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def callback_data(prompt_token: str | None, choice_id: str) -> str:
    data = f"{prompt_token or ''}|{choice_id}"
    if len(data.encode()) > CALLBACK_DATA_BYTES:
        raise PermanentFailure(f"callback data over {CALLBACK_DATA_BYTES} bytes: {choice_id!r}")
    return data


def parse_callback_data(data: str) -> tuple[str | None, str]:
    token, _, choice_id = data.partition("|")
    return token or None, choice_id


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(message: Outbound) -> Markup:
    """Buttons for `message`: inline for choices, a reply keyboard for location/contact."""
    if message.expects in (Expect.LOCATION, Expect.CONTACT):
        rows = [
            [
                KeyboardButton(
                    choice.label,
                    request_location=choice.id == REQUEST_LOCATION,
                    request_contact=choice.id == REQUEST_CONTACT,
                )
            ]
            for choice in message.choices
        ]
        return ReplyKeyboardMarkup(rows, one_time_keyboard=True, resize_keyboard=True)
    if message.choices:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        c.label, callback_data=callback_data(message.prompt_token, c.id)
                    )
                ]
                for c in message.choices
            ]
        )
    # A plain message also takes away any location or contact keyboard shown before.
    return ReplyKeyboardRemove()


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whether the library gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


# -- parsing --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Press:
    """A button press to acknowledge after commit."""

    query_id: str
    chat_id: int
    message_id: int | None
    label: str | None
    prompt_html: str | None


def parse_update(update: Update) -> tuple[Event, Press | None]:
    """What one Update means for pintu, and the button press in it to acknowledge."""
    event_id = f"update:{update.update_id}"
    if update.callback_query is not None:
        return _parse_press(update.callback_query, event_id)
    if update.my_chat_member is not None:
        member = update.my_chat_member
        if member.chat.type != "private":
            return Seen(event_id), None
        blocked = member.new_chat_member.status in ("kicked", "left")
        return Reachability(event_id, str(member.chat.id), reachable=not blocked), None
    message = update.message
    if message is None or message.chat.type != "private" or message.from_user is None:
        return Seen(event_id), None  # edits, channel posts, groups, unknown kinds
    return _parse_message(message, event_id), None


def _sender_name(message: Message) -> str | None:
    user = message.from_user
    return user.full_name if user is not None else None


def _parse_message(message: Message, event_id: str) -> Said:
    base = Inbound(
        channel=CHANNEL,
        sender_id=str(message.chat.id),
        event_id=event_id,
        kind=InboundKind.UNSUPPORTED,  # stickers, polls, dice… unless found below
        sender_name=_sender_name(message),
    )
    if message.text is not None:
        return Said(replace(base, kind=InboundKind.TEXT, text=message.text))
    if message.venue is not None:
        venue = message.venue
        spot = Location(
            venue.location.latitude, venue.location.longitude, venue.title, venue.address
        )
        return Said(replace(base, kind=InboundKind.LOCATION, location=spot))
    if message.location is not None:
        spot = Location(message.location.latitude, message.location.longitude)
        return Said(replace(base, kind=InboundKind.LOCATION, location=spot))
    if message.contact is not None:
        shared = message.contact
        own = message.from_user is not None and shared.user_id == message.from_user.id
        phone = shared.phone_number if own else None
        return Said(replace(base, kind=InboundKind.CONTACT, text=shared.phone_number, phone=phone))
    attachment = _attachment(message)
    if attachment is not None:
        media = replace(base, kind=InboundKind.MEDIA, text=message.caption or "")
        return Said(media, attachment=attachment)
    return Said(base)


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return Attachment(file_id=largest.file_id, size=largest.file_size)
    for item in (message.document, message.voice, message.audio, message.video):
        if item is not None:
            return Attachment(file_id=item.file_id, size=item.file_size)
    return None


def _parse_press(query: CallbackQuery, event_id: str) -> tuple[Said, Press]:
    prompt = query.message if isinstance(query.message, Message) else None
    token, choice_id = parse_callback_data(query.data or "")
    label = None
    if prompt is not None and prompt.reply_markup is not None:
        for row in prompt.reply_markup.inline_keyboard:
            label = next((plain_label(b.text) for b in row if b.callback_data == query.data), label)
    chat_id = prompt.chat.id if prompt is not None else query.from_user.id
    press = Press(
        query_id=query.id,
        chat_id=chat_id,
        message_id=prompt.message_id if prompt is not None else None,
        label=label,
        prompt_html=prompt.text_html if prompt is not None and prompt.text else None,
    )
    inbound = Inbound(
        channel=CHANNEL,
        sender_id=str(chat_id),
        event_id=event_id,
        kind=InboundKind.CHOICE,
        choice_id=choice_id,
        prompt_token=token,
        sender_name=query.from_user.full_name,
    )
    return Said(inbound), press


# -- the channel ------------------------------------------------------------------


class TelegramChannel:
    """Sends through the Bot API and fetches files; one `telegram.Bot` per process."""

    channel = CHANNEL

    def __init__(
        self, *, token: str, api_url: str, pacer: Pacer, max_file_bytes: int, timeout: float
    ) -> None:
        # Opt in to python-telegram-bot's coming `retry_after: timedelta` now
        # (PLATFORMS.md part 3); `retry_seconds` reads either form.
        os.environ.setdefault("PTB_TIMEDELTA", "1")
        base = api_url.rstrip("/")
        # The calls go on pintu's own HTTP/1.1 transport (`http11`: a fifth of httpcore's
        # CPU a call), unless a proxy is configured.
        transport = direct_transport(SEND_CONNECTIONS)
        sends = HTTPXRequest(
            connection_pool_size=SEND_CONNECTIONS,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
            httpx_kwargs={} if transport is None else {"transport": transport},
        )
        self._requests = (
            sends,
            HTTPXRequest(connection_pool_size=1),  # getUpdates: unused with a webhook
        )
        self.bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self.pacer = pacer
        self.max_file_bytes = max_file_bytes

    def is_genuine(self, header: str | None, secret: str) -> bool:
        return header is not None and hmac.compare_digest(header.encode(), secret.encode())

    def parse(self, raw: bytes, *, sender_id: str | None = None) -> list[Event]:
        """The one event in an Update (never raises: see `Unreadable`)."""
        update = self.read(raw)
        return [update if isinstance(update, Unreadable | Said) else self.event(update, raw)]

    def read(self, raw: bytes, *, direct: bool = True) -> Said | Update | Unreadable:
        """A citizen's text message read straight from the JSON (`telegram_json`; not
        when `direct` is False), any other Update, or why it is none.

        Anything goes wrong on junk: python-telegram-bot raises TypeError or
        KeyError on a missing field it needs, json a RecursionError on deep
        nesting; each is an unreadable update, never an error of the webhook.
        """
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not a Telegram update")
            said = private_text(data, CHANNEL) if direct else None
            if said is not None:
                return replace(said, keep=lambda: _text(raw))
            return Update.de_json(data, self.bot)
        except Exception as error:
            return Unreadable(f"unparseable update: {type(error).__name__}", _text(raw))

    def event(self, update: Update, raw: bytes) -> Event:
        """What `update` means; a button press is acknowledged once it is handled."""
        try:
            event, press = parse_update(update)
        except Exception as error:  # a shape the library accepted but pintu cannot read
            return Unreadable(f"unreadable update: {type(error).__name__}", _text(raw))
        if not isinstance(event, Said):
            return event
        acknowledge = functools.partial(self.acknowledge, press) if press is not None else None
        return replace(event, acknowledge=acknowledge, keep=lambda: _text(raw))

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        await self.pacer.acquire(recipient.external_id)
        try:
            sent = await self.bot.send_message(
                chat_id=int(recipient.external_id),
                text=to_html(message.text),
                parse_mode="HTML",
                reply_markup=keyboard(message),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except RetryAfter as error:
            self.pacer.refused(recipient.external_id)
            raise Throttled("429 too many requests", retry_after=retry_seconds(error)) from None
        except Forbidden as error:
            raise ContactUnreachable(f"403 {error.message}") from None
        except TimedOut:
            raise TemporaryFailure("timeout: outcome unknown") from None
        except InvalidToken as error:  # our configuration, not the message: keep it queued
            raise TemporaryFailure(f"bot token rejected: {error.message}") from None
        except BadRequest as error:  # before NetworkError, which it subclasses: never retried
            raise PermanentFailure(error.message) from None
        except NetworkError as error:
            raise TemporaryFailure(error.message) from None
        except TelegramError as error:
            raise PermanentFailure(error.message) from None
        return SendReceipt(external_id=str(sent.message_id))

    async def fetch(self, attachment: Attachment) -> bytes | None:
        """The file's bytes, or None when it is too large or cannot be fetched."""
        if attachment.file_id is None:
            return None
        if attachment.size is not None and attachment.size > self.max_file_bytes:
            return None
        try:
            found = await self.bot.get_file(attachment.file_id)
            if found.file_size is not None and found.file_size > self.max_file_bytes:
                return None
            if not (found.file_path or "").startswith(self.bot.base_file_url + "/"):
                # python-telegram-bot reads a path that exists on this machine from disk
                # (the local Bot API server's way): only the configured API's file URLs
                log.warning("telegram file fetch refused: a file path outside the Bot API")
                return None
            data = bytes(await found.download_as_bytearray())
        except TelegramError as error:
            log.warning("telegram file fetch failed: %s", type(error).__name__)
            return None
        return data if len(data) <= self.max_file_bytes else None

    async def acknowledge(self, press: Press, accepted: bool) -> None:
        """Stop the client's spinner and, for an accepted press, show the choice in the prompt."""
        try:
            await self.bot.answer_callback_query(press.query_id)
            if accepted and press.message_id is not None and press.prompt_html and press.label:
                await self.bot.edit_message_text(
                    chat_id=press.chat_id,
                    message_id=press.message_id,
                    text=f"{press.prompt_html}\n\n✓ <b>{html.escape(press.label)}</b>",
                    parse_mode="HTML",
                )
        except TelegramError as error:  # cosmetic: the answer itself is already queued
            log.info("telegram acknowledgement failed: %s", type(error).__name__)

    async def close(self) -> None:
        # Bot.shutdown() skips a bot that never ran initialize() (a getMe call
        # pintu does not need), so the HTTP clients are closed here.
        for request in self._requests:
            await request.shutdown()


# -- the webhook ------------------------------------------------------------------


WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = b"x-telegram-bot-api-secret-token"


def build_webhook(channel: TelegramChannel, runtime: Runtime, secret: str) -> Webhook:
    """`POST /webhooks/telegram` for `channel`, expecting `secret` in every request."""

    async def telegram_webhook(request: WebhookRequest) -> Answer:
        if not channel.is_genuine(request.header(SECRET_HEADER), secret):
            return refused(403, "wrong or missing secret token")
        await take_update(channel, runtime, await request.body(), request.background)
        return OK

    return telegram_webhook


def build_router(webhook: Webhook) -> APIRouter:
    """The webhook's declaration for the OpenAPI schema (`bot.handlers.webhooks`)."""
    router = APIRouter(tags=["webhooks"])

    @router.post(WEBHOOK_PATH, response_model=dict[str, bool])
    async def telegram_webhook(
        request: Request,
        background: BackgroundTasks,
        x_telegram_bot_api_secret_token: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Telegram Update JSON; 200 only once what it means is committed."""
        return await declared(webhook, request, background)

    return router


async def take_update(
    channel: TelegramChannel, runtime: Runtime, raw: bytes, background: BackgroundTasks
) -> None:
    """An authenticated Update's way in: the duty group's or a citizen's; returns
    once what it means is committed (or buried as a dead letter)."""
    update = channel.read(raw)
    if isinstance(update, Said) and runtime.duty.is_group(update.inbound.sender_id):
        update = channel.read(raw, direct=False)  # a private chat made the duty group
    if isinstance(update, Update) and is_from_duty_group(update, runtime):
        # never a citizen's: never the engine's
        try:
            await handle_duty_update(runtime, channel.bot, update, background)
        except Exception as error:  # never a 5xx: keep the payload for an admin instead
            await runtime.intake.bury_failed(CHANNEL, "duty update", error, _text(raw))
        return
    events = [update if isinstance(update, Unreadable | Said) else channel.event(update, raw)]
    outcomes = await runtime.intake.receive(channel, events)
    for event, handled in zip(events, outcomes, strict=True):
        if isinstance(event, Said) and event.acknowledge is not None and handled is not None:
            # answered even for a redelivery: the spinner must stop
            accepted = handled.processed and not handled.stale_press
            background.add_task(event.acknowledge, accepted)


def replay_for(channel: TelegramChannel, runtime: Runtime) -> Replay:
    """A dead letter's Update, taken again as if Telegram had just sent it.

    Button presses are not acknowledged: their callback queries expired long ago.
    """

    async def replay(raw: bytes) -> None:
        await take_update(channel, runtime, raw, BackgroundTasks())

    return replay


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


# -- registration -------------------------------------------------------------------

# The command menu (DESIGN §5): Indonesian words by default, English aliases for
# English-speaking clients; each described by the catalog key command.<english word>.
COMMANDS = (
    ("start", "start", N_("command.start")),
    ("menu", "menu", N_("command.menu")),
    ("pengaduan", "complaint", N_("command.complaint")),
    ("lapor", "report", N_("command.report")),
    ("status", "status", N_("command.status")),
    ("survei", "survey", N_("command.survey")),
    ("bahasa", "language", N_("command.language")),
    ("batal", "cancel", N_("command.cancel")),
    ("bantuan", "help", N_("command.help")),
    ("berhenti", "stop", N_("command.stop")),
    ("langganan", "subscribe", N_("command.subscribe")),
)


async def register_webhook(
    channel: TelegramChannel, *, url: str, secret: str, translator: Translator
) -> None:
    """Point Telegram at `url` with our secret and update types, and set the command menu."""
    await channel.bot.set_webhook(
        url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES), max_connections=40
    )
    for language_code, column in ((None, 0), ("id", 0), ("en", 1)):
        locale = language_code or translator.default_locale
        commands = [
            BotCommand(entry[column], translator.text(locale, entry[2])) for entry in COMMANDS
        ]
        await channel.bot.set_my_commands(commands, language_code=language_code)
