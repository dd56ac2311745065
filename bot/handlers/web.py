"""The web chat channel: the page at `/chat` and the small JSON API behind it.

A browser is identified by a signed, dated token it keeps in local storage
(`bot.handlers.web_tokens`), so a citizen on the web, like on any channel,
sees only their own conversation; tokens expire, and "hapus percakapan ini"
revokes one (`DELETE /chat/api/session`). New sessions and stored files are
limited per client address (`bot.handlers.web_limits`).
Sending is storing: an outbox row marked sent is what the browser collects
with a long poll, woken as soon as the sender records it.
"""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field, ValidationError

from bot.domain.channel import Attachment, Recipient, Said, SendReceipt, Unreadable
from bot.domain.i18n import N_
from bot.domain.messages import Inbound, InboundKind, Location, Outbound
from bot.handlers.web_limits import WebLimits, retry_after
from bot.handlers.web_tokens import BrowserTokens, TokenRefused
from bot.media.store import RejectedFile
from bot.outbox.pickup import Collected, sent_to
from bot.runtime import Runtime
from bot.services.revoked_browsers import is_revoked, revoke

CHANNEL = "web"
STATIC = Path(__file__).parent / "static"
UI_KEYS = (
    N_("web.title"),
    N_("web.placeholder"),
    N_("web.send"),
    N_("web.attach"),
    N_("web.offline"),
    N_("web.upload_failed"),
    N_("web.intro"),
    N_("web.location_failed"),
    N_("web.forget"),
    N_("web.forget_confirm"),
    N_("web.forgotten"),
    N_("web.session_limited"),
    N_("web.upload_limited"),
)
# The page's policy, also sent with its files and API answers (a header, unlike the
# page's <meta> copy, can forbid framing). The page has no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
NOTHING_SAID = "send non-empty text, a choice_id or a location"
# Outbox ids are INTEGER, 32 bits on PostgreSQL: an `after` beyond is a 422, not a 500.
MAX_MESSAGE_ID = 2**31 - 1


class WebHub:
    """Wakes a browser's long poll when something was sent to its contact."""

    def __init__(self) -> None:
        self._events: dict[int, set[asyncio.Event]] = defaultdict(set)

    def notify(self, contact_ids: set[int]) -> None:
        for contact_id in contact_ids:
            for event in self._events.get(contact_id, ()):
                event.set()

    @contextlib.contextmanager
    def listening(self, contact_id: int) -> Iterator[asyncio.Event]:
        """An event that the next send to `contact_id` sets, while the block runs."""
        event = asyncio.Event()
        self._events[contact_id].add(event)
        try:
            yield event
        finally:
            self._events[contact_id].discard(event)
            if not self._events[contact_id]:
                del self._events[contact_id]


# -- HTTP -------------------------------------------------------------------


class SessionPublic(BaseModel):
    token: str


class LocationIn(BaseModel):
    """Where the browser says it is (the Geolocation API)."""

    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)


class MessageIn(BaseModel):
    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str | None = Field(default=None, max_length=8000)
    choice_id: str | None = Field(default=None, max_length=64)
    prompt_token: str | None = Field(default=None, max_length=32)
    location: LocationIn | None = None


class Accepted(BaseModel):
    accepted: bool
    duplicate: bool = False


class ChoicePublic(BaseModel):
    id: str
    label: str


class MessagePublic(BaseModel):
    id: int
    text: str
    choices: list[ChoicePublic]
    expects: str
    prompt_token: str | None
    urgent: bool = False  # an emergency answer (110), which the page sets apart


class MessagesPublic(BaseModel):
    messages: list[MessagePublic]
    last_id: int
    locale: str | None = None  # the conversation's language, which the page's labels follow


class WebChannel:
    """Reads the browser's posts; sending on the web is recording (the browser collects)."""

    channel = CHANNEL

    def parse(self, raw: bytes, *, sender_id: str | None = None) -> list[Said | Unreadable]:
        """The message a browser posted (`MessageIn` JSON); `sender_id` is its browser id."""
        text = raw.decode("utf-8", errors="replace")
        if sender_id is None:
            return [Unreadable("no browser id", text)]
        try:
            body = MessageIn.model_validate_json(raw)
        except (ValidationError, RecursionError) as error:
            return [Unreadable(f"not a chat message: {type(error).__name__}", text)]
        return [self.message(body, sender_id)]

    def message(self, body: MessageIn, browser: str) -> Said | Unreadable:
        spot = None
        if body.location is not None:
            kind, text = InboundKind.LOCATION, ""
            spot = Location(body.location.latitude, body.location.longitude)
        elif body.choice_id:
            kind, text = InboundKind.CHOICE, ""
        elif body.text is not None and body.text.strip():
            kind, text = InboundKind.TEXT, body.text
        else:
            return Unreadable(NOTHING_SAID, body.model_dump_json())
        inbound = Inbound(
            channel=CHANNEL,
            sender_id=browser,
            event_id=f"{browser}:{body.client_id}",
            kind=kind,
            text=text,
            choice_id=body.choice_id if spot is None else None,
            prompt_token=body.prompt_token,
            location=spot,
        )
        return Said(inbound)

    def upload(self, browser: str, client_id: str, data: bytes, declared_type: str | None) -> Said:
        """A file the browser posted, as a message of its own."""
        inbound = Inbound(
            channel=CHANNEL,
            sender_id=browser,
            event_id=f"{browser}:{client_id}",
            kind=InboundKind.MEDIA,
        )
        return Said(inbound, attachment=Attachment(data=data, declared_type=declared_type))

    async def fetch(self, attachment: Attachment) -> bytes | None:
        return attachment.data  # browsers post their files: nothing to fetch

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        return SendReceipt(external_id=None)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


class UploadLimited(Exception):
    """A web session or its address stored as many files today as it may."""

    def __init__(self, wait: float) -> None:
        super().__init__("upload quota reached")
        self.wait = wait


def build_router(tokens: BrowserTokens, hub: WebHub, limits: WebLimits) -> APIRouter:
    """The page and its API; `tokens` sign browsers, `hub` wakes their long polls,
    `limits` bound what one address and one session may cost."""
    router = APIRouter(tags=["web chat"])
    channel = WebChannel()  # keeps nothing: the one the outbox sends through is its twin

    async def browser_id(runtime: RuntimeDep, authorization: Annotated[str, Header()] = "") -> str:
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise TokenRefused("no chat token")
            found = tokens.verify(token)
        except TokenRefused as refused:
            raise HTTPException(401, f"{refused}: POST /chat/api/session for a new one") from None
        if await is_revoked(runtime.db, found):
            raise HTTPException(401, "chat token revoked: POST /chat/api/session for a new one")
        return found

    BrowserDep = Annotated[str, Depends(browser_id)]

    @router.get("/chat", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html", media_type="text/html")

    @router.get("/chat/static/{name}", include_in_schema=False)
    async def chat_asset(name: str) -> FileResponse:
        if name not in {"chat.js", "chat.css"}:
            raise HTTPException(404, "no such file")
        return FileResponse(STATIC / name)

    @router.get("/chat/api/strings")
    async def ui_strings(runtime: RuntimeDep, locale: str = "id") -> dict[str, str]:
        """The page's own labels in `locale` (catalog texts, like everything citizens read)."""
        return {key: runtime.translator.text(locale, key) for key in UI_KEYS}

    @router.post("/chat/api/session", status_code=201)
    async def new_session(request: Request) -> SessionPublic:
        """A new conversation; at most `PINTU_WEB_SESSIONS_PER_ADDRESS_PER_HOUR` per address."""
        wait = await limits.new_session(limits.address(request))
        if wait:
            raise HTTPException(
                429,
                "too many new chat sessions from this address: try again later",
                headers={"Retry-After": retry_after(wait)},
            )
        return SessionPublic(token=tokens.issue())

    @router.delete("/chat/api/session", status_code=204)
    async def forget_session(browser: BrowserDep, runtime: RuntimeDep) -> Response:
        """ "Hapus percakapan ini": this browser's token is refused from now on."""
        await revoke(runtime.db, browser, now=runtime.clock.now())
        return Response(status_code=204)

    @router.post("/chat/api/messages", status_code=202)
    async def post_message(body: MessageIn, browser: BrowserDep, runtime: RuntimeDep) -> Accepted:
        said = channel.message(body, browser)
        if isinstance(said, Unreadable):  # the browser is there to be told: no dead letter
            raise HTTPException(422, said.reason)
        handled = await runtime.intake.handle(channel, said)
        return Accepted(accepted=True, duplicate=not handled.processed)

    @router.post("/chat/api/media", status_code=202)
    async def post_media(
        request: Request,
        browser: BrowserDep,
        runtime: RuntimeDep,
        client_id: Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
        file: Annotated[UploadFile, File()],
    ) -> Accepted:
        data = await file.read(runtime.settings.max_upload_bytes + 1)
        if len(data) > runtime.settings.max_upload_bytes:  # said before any quota is counted
            raise HTTPException(422, "file not accepted: file too large")
        said = channel.upload(browser, client_id, data, file.content_type)
        address = limits.address(request)

        async def admit(size: int) -> None:
            wait = await limits.store_file(browser, address, size)
            if wait:
                raise UploadLimited(wait)

        try:
            handled = await runtime.intake.handle(channel, said, admit=admit)
        except RejectedFile as rejected:
            raise HTTPException(422, f"file not accepted: {rejected}") from None
        except UploadLimited as limited:
            raise HTTPException(
                429,
                "upload quota reached: no more files from this chat or address today",
                headers={"Retry-After": retry_after(limited.wait)},
            ) from None
        return Accepted(accepted=True, duplicate=not handled.processed)

    @router.get("/chat/api/messages")
    async def get_messages(
        browser: BrowserDep,
        runtime: RuntimeDep,
        after: Annotated[int, Query(ge=0, le=MAX_MESSAGE_ID)] = 0,
        wait: Annotated[float, Query(ge=0, le=60, allow_inf_nan=False)] = 0,
    ) -> MessagesPublic:
        """Messages sent to this browser after `after`; waits up to `wait` s for the next one."""
        deadline = asyncio.get_running_loop().time() + min(
            wait, runtime.settings.web_poll_wait_seconds
        )
        while True:
            found = await sent_to(runtime.db, channel=CHANNEL, external_id=browser, after=after)
            remaining = deadline - asyncio.get_running_loop().time()
            if found.sent or remaining <= 0:
                return _page(found, after)
            # Another worker's sender wakes nobody in this process: look again this often.
            pause = min(remaining, runtime.settings.web_poll_recheck_seconds)
            if found.contact_id is None:  # nothing said yet: nobody can wake us
                await asyncio.sleep(pause)
                continue
            with hub.listening(found.contact_id) as woken:
                # Look again once listening: a send that landed during the first
                # look woke nobody, and would otherwise wait out the deadline.
                found = await sent_to(runtime.db, channel=CHANNEL, external_id=browser, after=after)
                if found.sent:
                    return _page(found, after)
                with contextlib.suppress(TimeoutError):
                    # not `wait_for`: see `OutboxSender.run_forever`
                    async with asyncio.timeout(pause):
                        await woken.wait()

    return router


def _page(found: Collected, after: int) -> MessagesPublic:
    messages = [_public(row_id, message) for row_id, message in found.sent]
    last_id = messages[-1].id if messages else after
    return MessagesPublic(messages=messages, last_id=last_id, locale=found.locale)


def _public(row_id: int, message: Outbound) -> MessagePublic:
    choices: list[Any] = [ChoicePublic(id=c.id, label=c.label) for c in message.choices]
    return MessagePublic(
        id=row_id,
        text=message.text,
        choices=choices,
        expects=message.expects.value,
        prompt_token=message.prompt_token,
        urgent=message.urgent,
    )
