"""The most common WhatsApp notifications, citizens' text messages and delivery
reports, read from their JSON.

`parse` reads a notification through pydantic models twice over: the envelope
(`read_items`), then each item (`read_item`). Under load that was about
0.145 ms of CPU per update, a tenth of all the server spends on one. The few
strings pintu needs of such a notification are read here directly from the
JSON as pydantic's own reader decodes it (`parse.decode`, for both: Python's
`json` would take a lone surrogate escape, ``"\\ud800"``, that pydantic refuses).

The result must be exactly what `read_items` and `read_item` make of
the same body, so this reader accepts only what it knows they accept alike:
one entry with one ``messages`` change for our phone number id; only the keys
listed below (anything else — a reply's ``context``, a photo, an error — is
`parse`'s to read); and strings where Meta sends strings (pydantic would
refuse or convert other values, or drop them from a contact). Everything else
is None here and read by `parse` (tests/handlers/test_whatsapp_direct.py
compares the two).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from bot.domain.messages import InboundKind
from bot.handlers.whatsapp.parse import (
    Item,
    Received,
    Report,
    find_sender,
    inbound,
    moment,
)

Reading = tuple[Item, Received | Report]  # an item and what it says

NOTIFICATION_KEYS = frozenset({"object", "entry"})
ENTRY_KEYS = frozenset({"id", "changes"})
CHANGE_KEYS = frozenset({"field", "value"})
VALUE_KEYS = frozenset({"messaging_product", "metadata", "contacts", "messages", "statuses"})
METADATA_KEYS = frozenset({"display_phone_number", "phone_number_id"})
CONTACT_KEYS = ("profile", "wa_id", "user_id")  # in the order `_Contact` dumps them
PROFILE_KEYS = frozenset({"name"})
MESSAGE_KEYS = frozenset({"from", "from_user_id", "id", "timestamp", "type", "text"})
TEXT_KEYS = frozenset({"body"})
STATUS_KEYS = frozenset(
    {
        "id",
        "status",
        "timestamp",
        "recipient_id",
        "recipient_user_id",
        "conversation",  # only a dead letter of the status repeats these two
        "pricing",
        "biz_opaque_callback_data",
    }
)
REPORTED = ("sent", "delivered", "read")  # "failed" (with its errors) is `parse`'s
MAX_MESSAGE_ID, MAX_STATUS_ID = 190, 170  # `_Message.id`, `_Status.id`
MAX_TIMESTAMP_DIGITS = 10  # the year 2286: longer ones are `parse`'s to judge


def read_common(data: object, phone_number_id: str) -> list[Reading] | None:
    """Every item of the decoded notification `data` (`parse.decode`) for
    `phone_number_id` with what it says, as `parse` would read them; None when `data`
    is anything else."""
    if type(data) is not dict or data.keys() != NOTIFICATION_KEYS:
        return None
    entries = data["entry"]
    if data["object"] != "whatsapp_business_account" or not _is_one_dict(entries, ENTRY_KEYS):
        return None
    entry_id, changes = entries[0]["id"], entries[0]["changes"]
    if not _is_text(entry_id) or not _is_one_dict(changes, CHANGE_KEYS):
        return None
    if changes[0]["field"] != "messages":
        return None
    return _value(changes[0]["value"], phone_number_id, entry_id)


def _value(value: object, phone_number_id: str, entry_id: str) -> list[Reading] | None:
    if type(value) is not dict or not value.keys() <= VALUE_KEYS:
        return None
    metadata, contacts = value.get("metadata"), _contacts(value.get("contacts", []))
    if value.get("messaging_product") != "whatsapp" or contacts is None:
        return None
    if not _is_metadata(metadata) or metadata["phone_number_id"] != phone_number_id:
        return None
    messages, statuses = value.get("messages", []), value.get("statuses", [])
    if type(messages) is not list or type(statuses) is not list:
        return None
    readings: list[Reading] = []
    for data in messages:
        received = _text_message(data, contacts)
        if received is None:
            return None
        readings.append((Item("message", data, contacts, phone_number_id, entry_id), received))
    for data in statuses:
        report = _report(data)
        if report is None:
            return None
        readings.append((Item("status", data, contacts, phone_number_id, entry_id), report))
    return readings


def _is_one_dict(value: object, keys: frozenset[str]) -> TypeGuard[list[dict[str, Any]]]:
    """Whether `value` is a list of one object with exactly `keys`."""
    if type(value) is not list or len(value) != 1:
        return False
    return type(value[0]) is dict and value[0].keys() == keys


def _is_metadata(metadata: object) -> TypeGuard[dict[str, Any]]:
    return (
        type(metadata) is dict
        and metadata.keys() <= METADATA_KEYS
        and "phone_number_id" in metadata
        and all(_is_text(part) for part in metadata.values())
    )


def _contacts(contacts: object) -> tuple[dict[str, Any], ...] | None:
    """`contacts` as `Item.contacts` holds them; None unless all are simple."""
    if type(contacts) is not list:
        return None
    read: list[dict[str, Any]] = []
    for contact in contacts:
        if type(contact) is not dict or not all(key in CONTACT_KEYS for key in contact):
            return None
        profile = contact.get("profile", {})
        if type(profile) is not dict or not profile.keys() <= PROFILE_KEYS:
            return None
        ids = [contact[key] for key in ("wa_id", "user_id") if key in contact]
        if not all(_is_text(part) for part in (*profile.values(), *ids)):
            return None
        read.append({key: contact[key] for key in CONTACT_KEYS if key in contact})
    return tuple(read)


def _text_message(message: object, contacts: tuple[dict[str, Any], ...]) -> Received | None:
    if type(message) is not dict or not message.keys() <= MESSAGE_KEYS:
        return None
    message_id, text, timestamp = message.get("id"), message.get("text"), message.get("timestamp")
    if message.get("type") != "text" or not _is_text(message_id):
        return None
    if not 1 <= len(message_id) <= MAX_MESSAGE_ID or not _is_seconds(timestamp):
        return None
    if type(text) is not dict or text.keys() != TEXT_KEYS or not _is_text(text["body"]):
        return None
    user_id, wa_id = message.get("from_user_id"), message.get("from")
    if not (user_id is None or _is_text(user_id)) or not (wa_id is None or _is_text(wa_id)):
        return None
    try:
        sender = find_sender(user_id, wa_id, contacts)
    except ValueError:  # no sender: `parse` makes it a dead letter
        return None
    said = inbound(message_id, sender, InboundKind.TEXT, text["body"])
    return Received(sender, said, sent_at=moment(timestamp))


def _report(status: object) -> Report | None:
    if type(status) is not dict or not status.keys() <= STATUS_KEYS:
        return None
    message_id, state = status.get("id"), status.get("status")
    if not _is_text(message_id) or not 1 <= len(message_id) <= MAX_STATUS_ID:
        return None
    if state not in REPORTED:
        return None
    return Report(message_id, state)


def _is_seconds(timestamp: object) -> bool:
    """Whether `timestamp` is missing or a string `moment` reads without failing."""
    if timestamp is None:
        return True
    return _is_text(timestamp) and timestamp.isascii() and len(timestamp) <= MAX_TIMESTAMP_DIGITS


def _is_text(value: object) -> TypeGuard[str]:
    return type(value) is str
