"""A fake WhatsApp Cloud API (Graph API) on loopback: real HTTP, recorded calls, scripted failures.

It serves ``POST /<phone number id>/messages``, ``GET /<media id>`` and the
download URL that answer names, as graph.facebook.com does, checks the
bearer token on each, answers like Graph (``{"messages": [{"id": "wamid…"}]}``
or ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``)
and can be told to answer the next sends with an error or not at all. The
builders below make signed webhook notifications in Meta's shape.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.loopback import until_client_hangs_up
from tests.support.platform_limits import PlatformLimits

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
WABA_ID = "102290129340398"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
TIMESTAMP = "1795748400"  # 2026-11-27 03:00 UTC, the tests' clock start


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    status: int = 200  # what the fake answered
    message_id: str | None = None  # the wamid it gave an accepted send


@dataclass
class Scripted:
    status: int = 200
    code: int | None = None
    message: str = ""
    subcode: int | None = None
    hang: bool = False  # no answer: the client times out


@dataclass
class FakeGraphAPI:
    token: str = "EAAG-test-access-token"
    phone_number_id: str = PHONE_NUMBER_ID
    calls: list[Call] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # media ids whose answer names another server's download URL (its base URL here)
    media_elsewhere: dict[str, str] = field(default_factory=dict)
    url: str = ""
    limits: PlatformLimits | None = None  # refuse sends over the rate limits as Graph does
    on_sent: Callable[[str, dict[str, Any]], None] | None = None  # "to" or BSUID, body
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- what tests use -------------------------------------------------------------

    def fail_next(self, *answers: Scripted) -> None:
        """Answer the next sends so (a 200 `Scripted` that hangs only times out)."""
        self.script.extend(answers)

    def add_media(self, media_id: str, data: bytes, mime_type: str = "image/jpeg") -> None:
        self.media[media_id] = (data, mime_type)

    def sent(self) -> list[dict[str, Any]]:
        """Bodies of the sends that were accepted, in order."""
        return [c.body for c in self.calls if c.path.endswith("/messages") and c.status == 200]

    def last_id(self) -> str:
        """The wamid of the newest accepted send."""
        return next(c.message_id for c in reversed(self.calls) if c.message_id)

    def id_of(self, body: dict[str, Any]) -> str:
        return next(c.message_id for c in self.calls if c.body is body and c.message_id)

    def attempts(self) -> int:
        """Sends, accepted or refused."""
        return sum(call.path.endswith("/messages") for call in self.calls)

    def sent_to(self, *, wa_id: str | None, user_id: str | None) -> list[dict[str, Any]]:
        return [body for body in self.sent() if addressed_to(body, wa_id=wa_id, user_id=user_id)]

    def requested(self, path: str) -> int:
        return sum(call.path == path for call in self.calls)

    # -- the server -----------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/download/{media_id}", self._download, methods=["GET"]),
                Route("/{phone_number_id}/messages", self._messages, methods=["POST"]),
                Route("/{media_id}", self._media_info, methods=["GET"]),
            ]
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _messages(self, request: Request) -> Response:
        if not self._authorised(request):
            return graph_error(401, 190, "Invalid OAuth access token.")
        call = Call("POST", request.url.path, await request.json())
        self.calls.append(call)
        if request.path_params["phone_number_id"] != self.phone_number_id:
            call.status = 400
            return graph_error(400, 100, "Unsupported post request.")
        if self.script:
            answer = self.script.pop(0)
            if answer.hang:
                await until_client_hangs_up(request)
            if answer.status != 200:
                call.status = answer.status
                return graph_error(answer.status, answer.code, answer.message, answer.subcode)
        body = call.body
        recipient = body.get("to") or body.get("recipient")
        refused = self.limits and self.limits.refuse(str(recipient))
        if refused:
            call.status = 400
            if refused[0] == "chat":
                return graph_error(
                    400, 131056, "(Business Account, Consumer Account) pair rate limit hit"
                )
            return graph_error(400, 130429, "Rate limit hit")
        if self.on_sent is not None:
            self.on_sent(str(recipient), body)
        call.message_id = f"wamid.OUT{next(self._ids):06d}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": str(recipient).lstrip("+")}],
                "messages": [{"id": call.message_id}],
            }
        )

    async def _media_info(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        self.calls.append(Call("GET", request.url.path, {}))
        if not self._authorised(request):
            return graph_error(401, 190, "Invalid OAuth access token.")
        if media_id not in self.media:
            return graph_error(400, 100, "Unsupported get request.", 33)
        data, mime_type = self.media[media_id]
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.media_elsewhere.get(media_id, self.url)}/download/{media_id}"
                "?ext=1&hash=signature",
                "mime_type": mime_type,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: Request) -> Response:
        self.calls.append(Call("GET", request.url.path, {}))
        if not self._authorised(request):  # WhatsApp's links need the token too
            return Response(status_code=401)
        found = self.media.get(request.path_params["media_id"])
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type=found[1])


def graph_error(
    status: int, code: int | None, message: str, subcode: int | None = None
) -> JSONResponse:
    error: dict[str, Any] = {
        "message": message or "error",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGh",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


def addressed_to(body: dict[str, Any], *, wa_id: str | None, user_id: str | None) -> bool:
    if "to" in body:
        return wa_id is not None and body["to"] == f"+{wa_id}"
    return user_id is not None and body.get("recipient") == user_id


def shown_text(body: dict[str, Any]) -> str:
    """What the citizen reads of a sent message."""
    if body["type"] == "text":
        return str(body["text"]["body"])
    if body["type"] == "interactive":
        return str(body["interactive"]["body"]["text"])
    template = body["template"]
    return f"[template {template['name']}]"


# -- webhook notifications, as Meta posts them ---------------------------------------------

_message_ids = itertools.count(1)


def next_message_id() -> str:
    return f"wamid.IN{next(_message_ids):08d}"


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def profile(*, user_id: str | None, wa_id: str | None, name: str = "Siti") -> dict[str, Any]:
    """A ``contacts`` entry; `user_id` None is the format from before April 2026."""
    entry: dict[str, Any] = {"profile": {"name": name}}
    if wa_id is not None:
        entry["wa_id"] = wa_id
    if user_id is not None:
        entry["user_id"] = user_id
    return entry


def message(
    kind: str,
    *,
    user_id: str | None,
    wa_id: str | None,
    message_id: str | None = None,
    **content: Any,
) -> dict[str, Any]:
    """One ``messages`` entry of type `kind` with `content` (e.g. ``text={"body": "halo"}``)."""
    found: dict[str, Any] = {"id": message_id or next_message_id(), "timestamp": TIMESTAMP}
    if wa_id is not None:
        found["from"] = wa_id
    if user_id is not None:
        found["from_user_id"] = user_id
    return found | {"type": kind, **content}


def status(
    message_id: str,
    state: str,
    *,
    wa_id: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": message_id,
        "status": state,
        "timestamp": TIMESTAMP,
        "recipient_id": wa_id or "",
    }
    if errors:
        found["errors"] = errors
    return found


def notification(
    *,
    messages: Iterable[dict[str, Any]] = (),
    statuses: Iterable[dict[str, Any]] = (),
    contacts: Iterable[dict[str, Any]] = (),
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict[str, Any]:
    """One entry with one ``messages`` change holding everything given."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
    }
    if contacts:
        value["contacts"] = list(contacts)
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }
