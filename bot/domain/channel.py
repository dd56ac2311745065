"""What every channel implements: reading requests into events, and sending.

A handler translates; it never decides what to say, and it keeps no books.
`ChannelHandler.parse` turns one request into `Event`s and never raises:
what cannot be read becomes an `Unreadable` event. The ingress
(`bot.ingress.intake`) takes those events from there: it deduplicates them,
fetches attachments through `ChannelHandler.fetch`, reconciles identities,
records statuses and keeps dead letters. `ChannelHandler.send` sends one
outbound message and either returns a `SendReceipt` or raises a `SendError`
whose class tells the outbox sender what to do next::

    SendError
    ├── Throttled           the platform said "slow down": retry the same row after `retry_after`
    │                       (`channel_wide`: the channel's limit, so no row goes before then)
    ├── TemporaryFailure    5xx, connection error, timeout: back off and retry
    ├── ContactUnreachable  the citizen blocked us or left: mark the contact, stop sending
    ├── OutsideWindow       the platform takes only templates now (WhatsApp's 24 hours): hold the
    │                       row until the citizen writes; announce it with a notice if it has one
    ├── Skipped             nothing this channel can send for the row (a notice with no
    │                       template configured): drop it, quietly
    └── PermanentFailure    any other refusal: dead letter with the reason, never retried
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain.messages import Inbound, Outbound


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
    """Too fast: this row waits `retry_after` seconds. `channel_wide` when the
    limit is the whole channel's (every chat would be refused): then no row of
    the channel is tried before then."""

    def __init__(self, reason: str, retry_after: float, *, channel_wide: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.channel_wide = channel_wide


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


# -- what a request means: the events a channel parses it into ----------------------


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that came with a message: its bytes, or the platform's id to fetch them by."""

    file_id: str | None = None
    size: int | None = None  # as the platform announced it, before fetching
    data: bytes | None = None
    declared_type: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """Both ids a platform may know a citizen by (WhatsApp: the BSUID and the phone number)."""

    user_id: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class Said:
    """A citizen's message for the engine, handled exactly once (by `inbound.event_id`)."""

    inbound: Inbound
    attachment: Attachment | None = None
    # Set when the contact may need reconciling first (`bot.ingress.identity`).
    identity: Identity | None = None
    sent_at: datetime | None = None  # when the citizen sent it, if the platform says
    # What the channel does once the event is committed, with whether it was acted
    # on (Telegram stops a pressed button's spinner and shows the choice).
    acknowledge: Callable[[bool], Awaitable[None]] | None = None
    keep: Callable[[], str] | None = None  # the payload for a dead letter, if handling fails


@dataclass(frozen=True, slots=True)
class Seen:
    """An event that needs no answer (an edit, a channel post, a system notice)."""

    event_id: str


@dataclass(frozen=True, slots=True)
class Reachability:
    """The citizen blocked (False) or unblocked (True) pintu on their platform."""

    event_id: str
    external_id: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """The platform's word on a message pintu sent: sent, delivered, read or failed.

    Deduplicated by (message id, status). A failure is mapped onto a
    `SendError` by `failure` only when it is news: the mapping may slow or
    pause the channel's sending.
    """

    message_id: str
    status: str
    failure: Callable[[Recipient], SendError] | None = None
    keep: Callable[[], str] | None = None

    @property
    def event_id(self) -> str:
        return f"status:{self.message_id}:{self.status}"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """What could not be read: kept as a dead letter, still answered 2xx."""

    reason: str
    payload: str


Event = Said | Seen | Reachability | DeliveryReport | Unreadable


class ChannelHandler(Protocol):
    """One platform: requests in, messages out (its routes live beside it in the module)."""

    channel: str

    def parse(self, raw: bytes, *, sender_id: str | None = None) -> Sequence[Event]:
        """The events in one request; never raises (see `Unreadable`).

        `sender_id` is the citizen when the transport itself vouched for them
        (web chat's signed browser token, the console's user); platforms name
        their citizens inside the payload.
        """
        ...

    async def fetch(self, attachment: Attachment) -> bytes | None:
        """The attachment's bytes; None when it is too large or cannot be fetched."""
        ...

    async def send(self, recipient: Recipient, message: Outbound) -> SendReceipt:
        """Deliver `message` or raise a `SendError`."""
        ...
