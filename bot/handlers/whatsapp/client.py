"""The one door to the WhatsApp Cloud API (Graph API): a thin client on httpx.

Sends go to ``{api_url}/{phone_number_id}/messages``; a file is fetched in two
steps, ``GET {api_url}/{media_id}`` for a short-lived URL and then that URL,
both with the bearer token (WhatsApp's links expire after five minutes, so
pintu fetches at once). The token goes only to Meta's media hosts over HTTPS
(`MEDIA_HOSTS`) or to a host the configuration names (`download_hosts`, the
tests' fake on loopback): a Graph answer naming any other URL is refused
unread, as `GraphError`. Every call is logged at DEBUG with its method, path
and outcome; the token travels only in the Authorization header and is
never logged, nor is a download URL's query string. The API calls go straight
to pintu's HTTP/1.1 transport (`bot.handlers.http11`); downloads stream
through an `httpx.AsyncClient`, as every call does when a proxy is configured.

Failures::

    GraphError        Graph answered with an error object: HTTP status, code, subcode, message
    GraphUnreachable  no answer: timeout or connection failure (a send's outcome is unknown)

Reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages
and …/business-phone-numbers/media (shared/PLATFORMS.md, part 2).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.handlers.http11 import direct_transport

log = logging.getLogger(__name__)

# Calls in flight at once: 80 messages/s (the default throughput) at about 0.2 s a
# Graph call. Further calls wait for a slot here (with a proxy, httpx's own pool
# would queue them at the cost of a pass over every connection per waiting request).
CONCURRENT_CALLS = 16

# Where Graph's media URLs point (https://lookaside.fbsbx.com/whatsapp_business/attachments/?…).
MEDIA_HOSTS = ("fbsbx.com",)


def is_media_host(url: str, configured: tuple[str, ...]) -> bool:
    """Whether the access token may be sent to `url` for a download.

    Over HTTPS, Meta's media hosts (a `MEDIA_HOSTS` domain or below it); over
    HTTPS or HTTP, a configured ``host`` or ``host:port``. Nothing else.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or not host:
        return False
    try:
        address = f"{host}:{parts.port}" if parts.port is not None else host
    except ValueError:  # a port that is no number
        return False
    if parts.scheme in ("http", "https") and (host in configured or address in configured):
        return True
    return parts.scheme == "https" and any(
        host == domain or host.endswith("." + domain) for domain in MEDIA_HOSTS
    )


class GraphError(Exception):
    """Graph said no: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``."""

    def __init__(self, status: int, code: int | None, subcode: int | None, message: str) -> None:
        super().__init__(f"{code or status} {message}")
        self.status = status
        self.code = code
        self.subcode = subcode
        self.message = message

    @classmethod
    def from_response(cls, response: httpx.Response) -> GraphError:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if not isinstance(error, dict):
            error = {}
        code, subcode = error.get("code"), error.get("error_subcode")
        message = str(error.get("message") or response.reason_phrase or "error")[:300]
        return cls(
            response.status_code,
            code if isinstance(code, int) else None,
            subcode if isinstance(subcode, int) else None,
            message,
        )


class GraphUnreachable(Exception):
    """No answer from Graph: the request may or may not have taken effect."""


class GraphClient:
    def __init__(
        self,
        *,
        api_url: str,
        access_token: str,
        phone_number_id: str,
        timeout: float,
        download_hosts: tuple[str, ...] = (),
    ) -> None:
        self._base = api_url.rstrip("/")
        self._download_hosts = tuple(host.lower() for host in download_hosts)
        self._phone_number_id = phone_number_id
        self._send_url = httpx.URL(f"{self._base}/{phone_number_id}/messages")
        self._headers = httpx.Headers({"Authorization": f"Bearer {access_token}"})
        self._timeouts = httpx.Timeout(timeout).as_dict()
        # Downloads stream through httpx's client; so do the calls when a proxy is set.
        self._http = httpx.AsyncClient(
            headers=self._headers,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=CONCURRENT_CALLS, max_keepalive_connections=CONCURRENT_CALLS
            ),
        )
        self._calls = direct_transport(CONCURRENT_CALLS)
        self._slots = asyncio.Semaphore(CONCURRENT_CALLS)

    async def send_message(self, body: dict[str, Any]) -> str:
        """Post one message; the id (wamid) WhatsApp gives it."""
        answer = await self._call("POST", self._send_url, json=body)
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages or "id" not in messages[0]:
            raise GraphError(200, None, None, "answer without a message id")
        return str(messages[0]["id"])

    async def download_media(self, media_id: str, max_bytes: int) -> bytes | None:
        """The file behind `media_id`, or None when it is larger than `max_bytes`."""
        info = await self._call("GET", httpx.URL(f"{self._base}/{media_id}"))
        size, url = info.get("file_size"), info.get("url")
        if isinstance(size, int) and size > max_bytes:
            return None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GraphError(200, None, None, "media answer without a URL")
        if not is_media_host(url, self._download_hosts):
            host = urlsplit(url).hostname
            raise GraphError(200, None, None, f"media URL on a host not allowed: {host}")
        shown = urlsplit(url).path  # the query string is a signature: not for logs
        try:
            async with self._http.stream("GET", url) as response:
                log.debug("graph GET %s -> %s", shown, response.status_code)
                if response.status_code != httpx.codes.OK:
                    await response.aread()
                    raise GraphError.from_response(response)
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        return None
                return bytes(data)
        except httpx.TransportError as error:
            raise GraphUnreachable(type(error).__name__) from None

    async def _call(self, method: str, url: httpx.URL, json: dict[str, Any] | None = None) -> Any:
        """One Graph call; its answer's JSON object. Straight to the transport
        (`http11`): httpx's client layer (cookies, redirects, URL merging) cost
        as much again as the call, and Graph's calls need none of it."""
        request = httpx.Request(
            method, url, headers=self._headers, json=json, extensions={"timeout": self._timeouts}
        )
        path = url.path
        try:
            async with self._slots:
                if self._calls is None:
                    response = await self._http.send(request)
                else:
                    response = await self._calls.handle_async_request(request)
                    await response.aread()
        except httpx.TransportError as error:
            log.debug("graph %s %s -> %s", method, path, type(error).__name__)
            raise GraphUnreachable(type(error).__name__) from None
        log.debug("graph %s %s -> %s", method, path, response.status_code)
        if response.status_code != httpx.codes.OK:
            raise GraphError.from_response(response)
        try:
            answer = response.json()
        except ValueError:
            raise GraphError(response.status_code, None, None, "answer is not JSON") from None
        if not isinstance(answer, dict):
            raise GraphError(response.status_code, None, None, "answer is not an object")
        return answer

    async def close(self) -> None:
        await self._http.aclose()
        if self._calls is not None:
            await self._calls.aclose()
