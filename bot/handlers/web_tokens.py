"""Web-chat browser tokens: signed, dated, and revocable.

A token is ``<browser id>.<issued>.<signature>``: `issued` is the Unix time
it was issued, in base 36, and the HMAC-SHA256 signature (server's secret
key) covers both, so neither the id nor the date can be changed. A token
older than its lifetime is refused, and so is one whose browser was
revoked ("hapus percakapan ini", `bot.services.revoked_browsers`): the page
then starts a new conversation.

Tokens of the first format (``<browser id>.<signature>``, without a date)
cannot be aged, so they are refused as expired: the page starts afresh
once, transparently, and every token after that has a date.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from bot.domain.clock import Clock


class TokenRefused(Exception):
    """The token is not one pintu issued, too old, or revoked; the message says which."""


class BrowserTokens:
    """Issues and checks the signed, dated ids browsers keep."""

    def __init__(self, secret: bytes, *, lifetime: timedelta, clock: Clock) -> None:
        self._secret = secret
        self.lifetime = lifetime
        self.clock = clock

    def issue(self) -> str:
        browser_id = secrets.token_urlsafe(18)
        issued = _base36(int(self.clock.now().timestamp()))
        return f"{browser_id}.{issued}.{self._sign(f'{browser_id}.{issued}')}"

    def verify(self, token: str) -> str:
        """The browser id inside a genuine, unexpired token; raises `TokenRefused`."""
        signed, _, signature = token.rpartition(".")
        if not signed or not hmac.compare_digest(signature, self._sign(signed)):
            raise TokenRefused("not a chat token")
        browser_id, _, issued = signed.partition(".")
        if not issued:  # the first format: genuine, but of unknown age
            raise TokenRefused("chat token expired")
        try:
            issued_at = datetime.fromtimestamp(int(issued, 36), UTC)
        except (ValueError, OverflowError, OSError):
            raise TokenRefused("not a chat token") from None
        if self.clock.now() - issued_at >= self.lifetime:
            raise TokenRefused("chat token expired")
        return browser_id

    def _sign(self, signed: str) -> str:
        digest = hmac.new(self._secret, signed.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out
