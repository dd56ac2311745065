"""What every channel implements, and the errors a send can end in.

A handler translates; it never decides what to say. It sends one outbound
message and either returns a `SendReceipt` or raises a `SendError` whose
class tells the outbox sender what to do next::

    SendError
    ├── Throttled           the platform said "slow down": retry the same row after `retry_after`
    ├── TemporaryFailure    5xx, connection error, timeout: back off and retry
    ├── ContactUnreachable  the citizen blocked us or left: mark the contact, stop sending
    ├── OutsideWindow       the platform takes only templates now (WhatsApp's 24 hours): hold the
    │                       row until the citizen writes; announce it with a notice if it has one
    ├── Skipped             nothing this channel can send for the row (a notice with no
    │                       template configured): drop it, quietly
    └── PermanentFailure    any other refusal: dead letter with the reason, never retried
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.messages import Outbound


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom to send to, in the channel's own terms."""

    contact_id: int
    channel: str
    external_id: str
    phone: str | None
    locale: str


@dataclass(frozen=True, slots=True)
class SendReceipt:
    external_id: str | None  # the platform's message id, when it gives one


class SendError(Exception):
    """A send that did not succeed; the subclass carries the retry policy."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Throttled(SendError):
    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class TemporaryFailure(SendError):
    pass


class ContactUnreachable(SendError):
    pass


class OutsideWindow(SendError):
    pass


class Skipped(SendError):
    pass


class PermanentFailure(SendError):
    pass


class ChannelHandler(Protocol):
    """The sending half of a channel (its webhook routes live beside it in the module)."""

    channel: str

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        """Deliver `message` or raise a `SendError`."""
        ...
