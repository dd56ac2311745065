"""Rendering an `Outbound` as a WhatsApp Cloud API message body.

Choices degrade to what WhatsApp offers: up to 3 as reply buttons (titles
≤ 20 characters, unique), up to 10 as a list message (row titles ≤ 24, the
full label in the row's description when the title had to be shortened),
more as a numbered text that the engine reads back by number or by words. A
location request is a ``location_request_message``. Button and row ids are
``<prompt token>|<choice id>``, so a press on an older prompt is recognised.

Labels too long for a button or row take the short form the catalog gives
(``whatsapp.short_labels``), else they are cut at a word with "…".

Limits: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages
and …/interactive-list-messages, …/location-request-messages (shared/PLATFORMS.md, part 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.channel import Recipient
from bot.domain.messages import (
    REQUEST_CONTACT,
    REQUEST_LOCATION,
    Choice,
    Expect,
    Outbound,
    split_number,
)
from bot.handlers.whatsapp.parse import reply_id

TEXT_BODY = 4096
BUTTON_BODY = 1024
LIST_BODY = 4096
LOCATION_BODY = 1024
MAX_BUTTONS = 3
BUTTON_TITLE = 20
MAX_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
# The engine's request choices (as on Telegram): WhatsApp asks for a location with
# its own message and cannot ask for a contact, so neither becomes a button here.

Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Wording:
    """The channel's own words in one locale (from the catalogs)."""

    list_button: str  # opens a list message
    numbered_hint: str  # closes a numbered text
    short_labels: Mapping[str, str] = field(default_factory=dict)


def parse_short_labels(table: str) -> dict[str, str]:
    """``long label = short label`` lines (``#`` starts a comment) as a mapping."""
    labels: dict[str, str] = {}
    for line in table.splitlines():
        long, separator, short = line.partition("=")
        if separator and not line.lstrip().startswith("#") and long.strip() and short.strip():
            labels[long.strip()] = short.strip()
    return labels


def shorten(label: str, limit: int, short_labels: Mapping[str, str]) -> str:
    """`label` within `limit` characters: as is, its catalog short form, or cut at a word."""
    label = " ".join(label.split())
    number, plain = split_number(label)  # "2. Pelayanan publik": numbered by the engine
    short = short_labels.get(plain)
    # The number goes first when room runs out: a tapped title needs none.
    for shown in (label, number + short if short else "", plain, short or ""):
        if shown and len(shown) <= limit:
            return shown
    label = plain
    cut = label[: limit - 1]
    if " " in cut and cut.rfind(" ") >= limit // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-/&") + "…"


def address(recipient: Recipient) -> Body:
    """Whom a message goes to: the phone number when known, else the BSUID.

    https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids
    """
    if recipient.phone:
        return {"to": "+" + recipient.phone.lstrip("+")}
    return {"recipient": recipient.external_id}


def envelope(recipient: Recipient, content: Body) -> Body:
    return {"messaging_product": "whatsapp", "recipient_type": "individual"} | (
        address(recipient) | content
    )


def render(message: Outbound, wording: Wording) -> Body:
    """The ``type`` and content part of the request body for `message`."""
    choices = [c for c in message.choices if c.id not in (REQUEST_LOCATION, REQUEST_CONTACT)]
    if message.expects is Expect.LOCATION:
        return _location_request(message, choices, wording)
    if not choices:
        return text_body(message.text)
    if len(choices) <= MAX_BUTTONS and len(message.text) <= BUTTON_BODY:
        titles = [shorten(c.label, BUTTON_TITLE, wording.short_labels) for c in choices]
        if len(set(titles)) == len(titles):
            return _buttons(message, choices, titles)
    if len(choices) <= MAX_ROWS and len(message.text) <= LIST_BODY:
        titles = [shorten(c.label, ROW_TITLE, wording.short_labels) for c in choices]
        if len(set(titles)) == len(titles):
            return _list(message, choices, titles, wording)
    return text_body(numbered(message.text, choices, wording, TEXT_BODY))


def text_body(text: str) -> Body:
    return {"type": "text", "text": {"body": text[:TEXT_BODY], "preview_url": False}}


def numbered(text: str, choices: Sequence[Choice], wording: Wording, limit: int) -> str:
    """`text` followed by the choices as a numbered list, within `limit` characters."""
    lines = "\n".join(
        choice.label if split_number(choice.label)[0] else f"{n}. {choice.label}"
        for n, choice in enumerate(choices, 1)
    )
    tail = f"\n\n{lines}\n\n{wording.numbered_hint}"
    room = limit - len(tail)
    body = text if len(text) <= room else text[: max(0, room - 1)] + "…"
    return body + tail


def _buttons(message: Outbound, choices: Sequence[Choice], titles: Sequence[str]) -> Body:
    buttons = [
        {"type": "reply", "reply": {"id": reply_id(message.prompt_token, c.id), "title": title}}
        for c, title in zip(choices, titles, strict=True)
    ]
    return {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": message.text},
            "action": {"buttons": buttons},
        },
    }


def _list(
    message: Outbound, choices: Sequence[Choice], titles: Sequence[str], wording: Wording
) -> Body:
    rows = []
    for choice, title in zip(choices, titles, strict=True):
        row = {"id": reply_id(message.prompt_token, choice.id), "title": title}
        if title != choice.label:  # shortened: the whole label goes underneath
            row["description"] = shorten(choice.label, ROW_DESCRIPTION, {})
        rows.append(row)
    button = shorten(wording.list_button, LIST_BUTTON, {})
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": message.text},
            "action": {"button": button, "sections": [{"rows": rows}]},
        },
    }


def _location_request(message: Outbound, others: Sequence[Choice], wording: Wording) -> Body:
    """Ask for a location; any other choice (say, "skip") is offered as a number to type."""
    text = numbered(message.text, others, wording, LOCATION_BODY) if others else message.text
    if len(text) > LOCATION_BODY:
        return text_body(text)
    return {
        "type": "interactive",
        "interactive": {
            "type": "location_request_message",
            "body": {"text": text},
            "action": {"name": "send_location"},
        },
    }


def template_body(*, name: str, language: str, reference: str, parameter_name: str | None) -> Body:
    """An approved template with the case reference as its one body parameter.

    https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/utility-templates/utility-templates
    """
    parameter: Body = {"type": "text", "text": reference}
    if parameter_name:
        parameter["parameter_name"] = parameter_name
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": [parameter]}],
        },
    }
