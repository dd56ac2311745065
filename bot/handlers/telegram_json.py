"""The most common Telegram update, a citizen's text in a private chat, read from its JSON.

python-telegram-bot's `Update.de_json` builds frozen objects whose every
attribute goes through a checking ``__setattr__``: about 0.16 ms per update,
more than the rest of reading it (bench/README.md). For a private chat's
plain text message pintu needs four fields, read here directly.

The result must be exactly what `telegram.parse_update` makes of the same
JSON through the library, so this reader accepts only a shape it knows the
library accepts too: no key outside the ones listed below (the library turns
some keys into objects of their own, which may refuse them, and anything
else — a photo, a reply, a forward — is the library's to read), and the
types those fields must have. Everything else is None here and read by the
library (tests/handlers/test_telegram_json.py compares the two).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from bot.domain.channel import Said
from bot.domain.messages import Inbound, InboundKind

UPDATE_KEYS = frozenset({"update_id", "message"})
MESSAGE_KEYS = frozenset({"message_id", "from", "chat", "date", "text", "entities"})
USER_KEYS = frozenset(
    {"id", "is_bot", "first_name", "last_name", "username", "language_code", "is_premium"}
)
CHAT_KEYS = frozenset({"id", "type", "first_name", "last_name", "username"})
ENTITY_KEYS = frozenset({"type", "offset", "length", "url", "language", "custom_emoji_id"})
LATEST_DATE = 2**33  # the year 2242: later ones are the library's to judge


def private_text(data: dict[str, Any], channel: str) -> Said | None:
    """The citizen's text message in the Update `data`, as the library would read it;
    None when `data` is anything else (`data["update_id"]` is known to be an int)."""
    message = data.get("message")
    if type(message) is not dict or not data.keys() <= UPDATE_KEYS:
        return None
    if not message.keys() <= MESSAGE_KEYS:
        return None
    chat, user, text = message.get("chat"), message.get("from"), message.get("text")
    if type(text) is not str or not _is_private_chat(chat) or not _is_user(user):
        return None
    date = message.get("date")
    if type(message.get("message_id")) is not int or type(date) is not int:
        return None
    if not 0 <= date <= LATEST_DATE or not _are_entities(message.get("entities")):
        return None
    inbound = Inbound(
        channel=channel,
        sender_id=str(chat["id"]),
        event_id=f"update:{data['update_id']}",
        kind=InboundKind.TEXT,
        text=text,
        sender_name=_full_name(user),
    )
    return Said(inbound)


def _is_private_chat(chat: object) -> TypeGuard[dict[str, Any]]:
    return (
        type(chat) is dict
        and chat.keys() <= CHAT_KEYS
        and type(chat.get("id")) is int
        and chat.get("type") == "private"
    )


def _is_user(user: object) -> TypeGuard[dict[str, Any]]:
    return (
        type(user) is dict
        and user.keys() <= USER_KEYS
        and "id" in user
        and "is_bot" in user
        and type(user.get("first_name")) is str
        and (user.get("last_name") is None or type(user.get("last_name")) is str)
    )


def _are_entities(entities: object) -> bool:
    if entities is None:
        return True
    return type(entities) is list and all(_is_entity(entity) for entity in entities)


def _is_entity(entity: object) -> bool:
    return (
        type(entity) is dict
        and entity.keys() <= ENTITY_KEYS
        and type(entity.get("type")) is str
        and type(entity.get("offset")) is int
        and type(entity.get("length")) is int
        and all(type(entity.get(key, "")) is str for key in ("url", "language", "custom_emoji_id"))
    )


def _full_name(user: dict[str, Any]) -> str | None:
    """`telegram.User.full_name`: the first name, then the last one if any; None
    for an empty first name."""
    first, last = user["first_name"], user.get("last_name")
    if not first:
        return None
    return f"{first} {last}" if last else first
