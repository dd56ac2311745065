"""The vocabulary channels, engine and back-office share; it knows no platform.

A channel turns a webhook into `Inbound` events and renders `Outbound`
messages; the engine reads the one and writes the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class InboundKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"  # a button or list row pressed
    LOCATION = "location"
    CONTACT = "contact"
    MEDIA = "media"  # with no `media`: a file the channel could not accept
    UNSUPPORTED = "unsupported"  # stickers, reactions, edits: answered politely


class FileRefusal(StrEnum):
    """Why a file that came with a message was not kept (the citizen is told which)."""

    NOT_ACCEPTED = "not_accepted"  # too large, empty, or not a kind pintu takes
    NOT_EXPECTED = "not_expected"  # nothing asked for a file: it is not stored at all
    NOT_SAVED = "not_saved"  # storage failed (a full disk): not the citizen's doing


class Expect(StrEnum):
    """What the conversation waits for after an outbound message."""

    NOTHING = "nothing"
    TEXT = "text"
    CHOICE = "choice"
    LOCATION = "location"
    MEDIA = "media"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A file already stored by the channel: the `media` row and what it is."""

    media_id: int
    mime_type: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a citizen did, as a channel understood it."""

    channel: str
    sender_id: str  # the channel's stable id for the citizen (chat id, BSUID, browser id)
    event_id: str  # the channel's id for this event, for deduplication
    kind: InboundKind
    text: str = ""
    choice_id: str | None = None
    prompt_token: str | None = None  # which prompt a pressed button belonged to
    location: Location | None = None
    media: MediaRef | None = None
    sender_name: str | None = None
    phone: str | None = None
    # The channel knows a citizen by two ids (WhatsApp: BSUID and phone number):
    # the hot path may only go ahead when both agree with the stored contact.
    verify_identity: bool = False
    # A MEDIA event without `media`: why its file was not kept (None: not accepted).
    file_refused: FileRefusal | None = None


REQUEST_LOCATION = "_location"  # a choice that asks the channel for the citizen's location
REQUEST_CONTACT = "_contact"  # likewise for their phone number


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str


_NUMBERED = re.compile(r"(\d{1,2})\. (.+)", re.DOTALL)
UNNUMBERED = (REQUEST_LOCATION, REQUEST_CONTACT)  # a device's button: no number to type


def number_choices(choices: Sequence[Choice]) -> tuple[Choice, ...]:
    """The choices labelled "1. Pengaduan", "2. ...": the number a citizen may type instead.

    A location or contact request is the device's own button and gets none.
    """
    numbered: list[Choice] = []
    for choice in choices:
        if choice.id in UNNUMBERED:
            numbered.append(choice)
        else:
            count = sum(1 for c in numbered if c.id not in UNNUMBERED) + 1
            numbered.append(Choice(choice.id, f"{count}. {choice.label}"))
    return tuple(numbered)


def split_number(label: str) -> tuple[str, str]:
    """A numbered label as its number prefix ("1. ") and the label; ("", label) if none."""
    found = _NUMBERED.fullmatch(label)
    return (f"{found[1]}. ", found[2]) if found else ("", label)


def plain_label(label: str) -> str:
    """A label without the number the engine put before it."""
    return split_number(label)[1]


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to a citizen, already in their language."""

    text: str
    choices: tuple[Choice, ...] = ()
    expects: Expect = Expect.NOTHING
    prompt_token: str | None = None
    urgent: bool = False
    meta: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        # Field by field rather than `asdict`, which deep-copies every value first
        # (a quarter of the hot path's time went into that).
        data = {name: getattr(self, name) for name in _OUTBOUND_FIELDS}
        data["choices"] = [{"id": choice.id, "label": choice.label} for choice in self.choices]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Outbound:
        data: dict[str, Any] = json.loads(raw)
        choices = tuple(Choice(**c) for c in data.pop("choices", ()))
        expects = Expect(data.pop("expects", Expect.NOTHING))
        return cls(choices=choices, expects=expects, **data)


_OUTBOUND_FIELDS = tuple(each.name for each in fields(Outbound))
