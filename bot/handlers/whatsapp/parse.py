"""Reading WhatsApp Cloud API webhooks into pintu's vocabulary.

A notification is ``entry[] → changes[] → value`` and one value can carry
many ``messages``, ``statuses`` and the ``contacts`` who sent them (Meta
batches up to 1000 updates). `read_items` checks the envelope (`decode`d) and
returns every message and status as an `Item` on its own, so that one odd
item becomes one dead letter while the rest is handled. `parse_message` and
`parse_status` then read one item.

Senders are known by the business-scoped user id (``from_user_id`` /
``contacts[].user_id``, sent since April 2026) and, unless they use a
WhatsApp username, by their phone number (``from`` / ``wa_id``). Either may
be missing; the older format has no user id at all.

Payload reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
and shared/PLATFORMS.md, part 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import from_json

from bot.domain.messages import Inbound, InboundKind, Location

CHANNEL = "whatsapp"
MEDIA_TYPES = ("image", "document", "audio", "video")
IGNORED_TYPES = ("system", "request_welcome")  # no citizen message to answer
TEMPLATE_BUTTON = "button"  # a quick-reply button of a template message


# -- the shapes read (only what pintu uses; everything else is ignored) ------------


class _Profile(BaseModel):
    name: str | None = None


class _Contact(BaseModel):
    profile: _Profile | None = None
    wa_id: str | None = None
    user_id: str | None = None


class _Text(BaseModel):
    body: str = ""


class _Reply(BaseModel):
    id: str
    title: str = ""


class _Interactive(BaseModel):
    type: str
    button_reply: _Reply | None = None
    list_reply: _Reply | None = None


class _Button(BaseModel):
    text: str = ""
    payload: str | None = None


class _Location(BaseModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class _Media(BaseModel):
    id: str
    mime_type: str | None = None
    caption: str | None = None


class _Phone(BaseModel):
    phone: str | None = None
    wa_id: str | None = None


class _SharedName(BaseModel):
    formatted_name: str | None = None


class _SharedContact(BaseModel):
    name: _SharedName | None = None
    phones: list[_Phone] = Field(default_factory=list)


class _Message(BaseModel):
    id: str = Field(min_length=1, max_length=190)
    type: str
    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    timestamp: str | None = None
    text: _Text | None = None
    interactive: _Interactive | None = None
    button: _Button | None = None
    location: _Location | None = None
    image: _Media | None = None
    document: _Media | None = None
    audio: _Media | None = None
    video: _Media | None = None
    contacts: list[_SharedContact] | None = None


class _StatusError(BaseModel):
    code: int
    title: str | None = None
    message: str | None = None


class _Status(BaseModel):
    id: str = Field(min_length=1, max_length=170)
    status: str = Field(min_length=1, max_length=16)
    errors: list[_StatusError] = Field(default_factory=list)


class _Metadata(BaseModel):
    phone_number_id: str | None = None


class _Value(BaseModel):
    metadata: _Metadata | None = None
    contacts: list[_Contact] = Field(default_factory=list)
    messages: list[dict[str, Any]] = Field(default_factory=list)
    statuses: list[dict[str, Any]] = Field(default_factory=list)


class _Change(BaseModel):
    field: str
    value: dict[str, Any]


class _Entry(BaseModel):
    id: str = ""
    changes: list[_Change] = Field(default_factory=list)


class _Notification(BaseModel):
    object: Literal["whatsapp_business_account"]
    entry: list[_Entry]


# -- what pintu makes of them ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One message or status of a notification, with what is needed to read it alone."""

    kind: Literal["message", "status"]
    data: dict[str, Any]
    contacts: tuple[dict[str, Any], ...]  # each as `_Contact` dumps it, without None
    phone_number_id: str | None
    entry_id: str

    def as_notification(self) -> str:
        """This item alone in the notification shape: a dead letter an admin can replay."""
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": self.phone_number_id},
            "contacts": list(self.contacts),
            f"{self.kind}s": [self.data],
        }
        change = {"field": "messages", "value": value}
        body = {
            "object": "whatsapp_business_account",
            "entry": [{"id": self.entry_id, "changes": [change]}],
        }
        return json.dumps(body, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Sender:
    user_id: str | None  # BSUID
    wa_id: str | None  # phone number, digits only
    name: str | None


@dataclass(frozen=True, slots=True)
class Received:
    """One citizen message: the `Inbound` and its file."""

    sender: Sender
    inbound: Inbound
    media_id: str | None = None
    answer: bool = True  # False: record it, say nothing (system notices)
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A status of a message pintu sent: sent, delivered, read, failed (with the error)."""

    message_id: str
    status: str
    error_code: int | None = None
    error_title: str | None = None

    @property
    def event_id(self) -> str:
        return f"status:{self.message_id}:{self.status}"


def decode(raw: bytes) -> Any:
    """The JSON in `raw`, as pydantic reads it (once for both readers, `direct` and this
    module's); ValueError if it is none."""
    try:
        return from_json(raw)
    except ValueError as error:
        raise ValueError(f"not a WhatsApp notification: {error}") from None


def read_items(data: object) -> list[Item]:
    """Every message and status in the notification `data` (`decode`), in order;
    ValueError if it is no notification."""
    try:
        notification = _Notification.model_validate(data)
    except ValidationError as error:
        raise ValueError(f"not a WhatsApp notification: {error.error_count()} problems") from None
    items: list[Item] = []
    for entry in notification.entry:
        for change in entry.changes:
            if change.field != "messages":
                continue  # template reviews, account updates…: nothing for pintu
            value = _Value.model_validate(change.value)
            number = value.metadata.phone_number_id if value.metadata else None
            contacts = tuple(c.model_dump(exclude_none=True) for c in value.contacts)
            items += [Item("message", data, contacts, number, entry.id) for data in value.messages]
            items += [Item("status", data, contacts, number, entry.id) for data in value.statuses]
    return items


def parse_status(item: Item) -> Report:
    status = _Status.model_validate(item.data)
    error = status.errors[0] if status.errors else None
    return Report(
        message_id=status.id,
        status=status.status,
        error_code=error.code if error else None,
        error_title=(error.title or error.message) if error else None,
    )


def read_item(item: Item) -> Received | Report:
    """What `item` says; ValueError when it cannot be read."""
    return parse_status(item) if item.kind == "status" else parse_message(item)


def parse_message(item: Item) -> Received:
    """The message in `item`; ValueError when it cannot be read or names no sender."""
    message = _Message.model_validate(item.data)
    sender = find_sender(message.from_user_id, message.from_, item.contacts)
    # reactions, stickers, orders… unless read below
    base = inbound(message.id, sender, InboundKind.UNSUPPORTED)
    if message.type in IGNORED_TYPES:
        return Received(sender, base, answer=False)
    return replace(_content(message, sender, base), sent_at=moment(message.timestamp))


def inbound(event_id: str, sender: Sender, kind: InboundKind, text: str = "") -> Inbound:
    """A message from `sender`, known by their user id, else by their phone number."""
    return Inbound(
        channel=CHANNEL,
        sender_id=sender.user_id or sender.wa_id or "",
        event_id=event_id,
        kind=kind,
        text=text,
        sender_name=sender.name,
        phone=sender.wa_id,
    )


def moment(timestamp: str | None) -> datetime | None:
    """A webhook ``timestamp`` (seconds since the epoch, as text) as an aware datetime."""
    if timestamp is None or not timestamp.isdigit():
        return None
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def _content(message: _Message, sender: Sender, base: Inbound) -> Received:
    if message.text is not None and message.type == "text":
        return Received(sender, replace(base, kind=InboundKind.TEXT, text=message.text.body))
    if message.interactive is not None:
        reply = message.interactive.button_reply or message.interactive.list_reply
        if reply is not None:
            token, choice_id = parse_reply_id(reply.id)
            pressed = replace(
                base,
                kind=InboundKind.CHOICE,
                choice_id=choice_id,
                prompt_token=token,
                text=reply.title,
            )
            return Received(sender, pressed)
    if message.button is not None:
        # A template's quick-reply button: what it says is what the citizen said.
        return Received(sender, replace(base, kind=InboundKind.TEXT, text=message.button.text))
    if message.location is not None:
        spot = message.location
        place = Location(spot.latitude, spot.longitude, spot.name, spot.address)
        return Received(sender, replace(base, kind=InboundKind.LOCATION, location=place))
    if message.contacts:
        return Received(
            sender, replace(base, kind=InboundKind.CONTACT, text=_shared(message.contacts))
        )
    media = next((getattr(message, kind) for kind in MEDIA_TYPES if message.type == kind), None)
    if media is not None:
        caption = replace(base, kind=InboundKind.MEDIA, text=media.caption or "")
        return Received(sender, caption, media_id=media.id)
    return Received(sender, base)


def find_sender(
    user_id: str | None, wa_id: str | None, contacts: tuple[dict[str, Any], ...]
) -> Sender:
    """Who wrote a message with these ``from_user_id`` and ``from``, completed from the
    matching `contacts` entry (as `Item.contacts` holds them); ValueError for nobody."""
    match = [
        c
        for c in contacts
        if (user_id and c.get("user_id") == user_id) or (wa_id and c.get("wa_id") == wa_id)
    ]
    if not match and len(contacts) == 1:
        match = list(contacts)
    contact = match[0] if match else None
    if contact is not None:
        user_id = user_id or contact.get("user_id")
        wa_id = wa_id or contact.get("wa_id")
    if not user_id and not wa_id:
        raise ValueError("message without a sender")
    name = contact.get("profile", {}).get("name") if contact is not None else None
    return Sender(user_id=user_id or None, wa_id=_digits(wa_id), name=name or None)


def _digits(wa_id: str | None) -> str | None:
    return wa_id.lstrip("+") if wa_id else None


def _shared(contacts: list[_SharedContact]) -> str:
    first = contacts[0]
    phone = next((p.phone or p.wa_id for p in first.phones if p.phone or p.wa_id), None)
    name = first.name.formatted_name if first.name is not None else None
    return phone or name or ""


def reply_id(prompt_token: str | None, choice_id: str) -> str:
    """A button or list-row id: the prompt it belongs to and the choice (like Telegram's)."""
    return f"{prompt_token or ''}|{choice_id}"


def parse_reply_id(value: str) -> tuple[str | None, str]:
    token, separator, choice_id = value.partition("|")
    if not separator:  # not one of ours (a button set up elsewhere): the id is the choice
        return None, value
    return token or None, choice_id
