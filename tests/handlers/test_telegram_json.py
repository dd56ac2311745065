"""The direct reader of a citizen's text message (`bot.handlers.telegram_json`) against
python-telegram-bot's: whenever the direct one reads an update, the library's reading
gives the very same event; and it does read the shapes Telegram sends for them."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update

from bot.domain.channel import Event, Said
from bot.handlers.telegram import CHANNEL, parse_update
from bot.handlers.telegram_json import private_text

NAME = st.text(max_size=12)
ODD = st.one_of(
    st.none(),
    st.just(""),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=3),
    st.builds(list),
    st.builds(dict),
    st.builds(lambda: {"id": 1}),
)

# The fields Telegram sends for a private chat's text message…
ENTITY = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["bot_command", "bold", "url", "mention"]),
        "offset": st.integers(0, 20),
        "length": st.integers(0, 20),
    },
    optional={"url": st.just("https://polri.go.id"), "language": st.just("python")},
)
USER = st.fixed_dictionaries(
    {"id": st.integers(1, 10**10), "is_bot": st.just(False), "first_name": NAME},
    optional={
        "last_name": NAME,
        "username": st.text(max_size=8),
        "language_code": st.sampled_from(["id", "en"]),
        "is_premium": st.booleans(),
    },
)
CHAT = st.fixed_dictionaries(
    {"id": st.integers(1, 10**10), "type": st.just("private")},
    optional={"first_name": NAME, "last_name": NAME, "username": st.text(max_size=8)},
)
MESSAGE = st.fixed_dictionaries(
    {
        "message_id": st.integers(1, 10**9),
        "date": st.integers(1_600_000_000, 1_900_000_000),
        "chat": CHAT,
        "from": USER,
        "text": st.text(max_size=30),
    },
    optional={"entities": st.lists(ENTITY, max_size=3)},
)
# …and what else may come: other values, keys of other shapes, keys left out.
OTHER_KEYS = {
    "update": ["edited_message", "callback_query", "my_chat_member", "api_kwargs", "x"],
    "message": ["caption", "photo", "location", "reply_to_message", "edit_date", "api_kwargs"],
    "chat": ["title", "is_forum", "api_kwargs"],
    "from": ["added_to_attachment_menu", "can_join_groups", "api_kwargs"],
    "entity": ["user", "unix_time", "custom_emoji_id", "api_kwargs"],
}


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    """A private chat's text message, mostly as Telegram sends it, with up to three changes:
    a key left out, a value of another type, a key of another shape added."""
    data = {"update_id": draw(st.integers(0, 10**9)), "message": draw(MESSAGE)}
    for _ in range(draw(st.integers(0, 3))):
        parts: dict[str, dict[str, Any]] = {"update": data}
        message = data.get("message")
        if isinstance(message, dict):
            parts["message"] = message
            for name in ("chat", "from"):
                if isinstance(message.get(name), dict):
                    parts[name] = message[name]
            entities = message.get("entities")
            if isinstance(entities, list) and entities and isinstance(entities[0], dict):
                parts["entity"] = entities[0]
        where = draw(st.sampled_from(sorted(parts)))
        part = parts[where]
        change = draw(st.sampled_from(["drop", "odd", "add"]))
        keys = sorted(key for key in part if key != "update_id")
        if change == "add" or not keys:
            part[draw(st.sampled_from(OTHER_KEYS[where]))] = draw(ODD)
        elif change == "drop":
            del part[draw(st.sampled_from(keys))]
        else:
            part[draw(st.sampled_from(keys))] = draw(ODD)
    return data


def through_the_library(data: dict[str, Any]) -> Event | None:
    """`TelegramChannel.read` and `event` with the direct reader left out; None for an
    update they find unreadable."""
    try:
        return parse_update(Update.de_json(copy.deepcopy(data), None))[0]
    except Exception:
        return None


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(updates())
def test_what_the_direct_reader_reads_the_library_reads_alike(data: dict[str, Any]) -> None:
    before = copy.deepcopy(data)
    direct = private_text(data, CHANNEL)
    assert data == before  # the library reads the same dict afterwards when it must
    if direct is not None:
        assert through_the_library(data) == direct


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), MESSAGE)
def test_every_text_message_as_telegram_sends_it_is_read_directly(
    update_id: int, message: dict[str, Any]
) -> None:
    data = {"update_id": update_id, "message": message}
    direct = private_text(data, CHANNEL)
    assert isinstance(direct, Said)
    assert direct == through_the_library(data)


REAL = [
    # what the Telegram clients send for a typed message, a command, a link
    {
        "update_id": 10,
        "message": {
            "message_id": 7,
            "from": {
                "id": 1_234_567,
                "is_bot": False,
                "first_name": "Siti",
                "last_name": "Aminah",
                "username": "siti_a",
                "language_code": "id",
            },
            "chat": {
                "id": 1_234_567,
                "first_name": "Siti",
                "last_name": "Aminah",
                "username": "siti_a",
                "type": "private",
            },
            "date": 1_790_000_000,
            "text": "Selamat pagi, saya mau lapor 🙏",
        },
    },
    {
        "update_id": 11,
        "message": {
            "message_id": 8,
            "from": {"id": 99, "is_bot": False, "first_name": "Budi", "is_premium": True},
            "chat": {"id": 99, "first_name": "Budi", "type": "private"},
            "date": 1_790_000_001,
            "text": "/start",
            "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
        },
    },
    {
        "update_id": 12,
        "message": {
            "message_id": 9,
            "from": {"id": 5, "is_bot": False, "first_name": "", "last_name": "X"},
            "chat": {"id": 5, "type": "private"},
            "date": 1_790_000_002,
            "text": "lihat https://polri.go.id",
            "entities": [{"offset": 6, "length": 19, "type": "url"}],
        },
    },
]


def test_the_messages_citizens_type_are_read_directly_and_alike() -> None:
    for data in REAL:
        direct = private_text(data, CHANNEL)
        assert isinstance(direct, Said), data
        assert direct == through_the_library(data)
    assert [private_text(data, CHANNEL).inbound.sender_name for data in REAL] == [  # type: ignore[union-attr]
        "Siti Aminah",
        "Budi",
        None,
    ]


def test_other_shapes_are_left_to_the_library() -> None:
    message = REAL[0]["message"]
    for other in (
        {"update_id": 1, "message": message | {"chat": message["chat"] | {"type": "group"}}},
        {"update_id": 1, "message": message | {"photo": [{"file_id": "a"}]}},
        {"update_id": 1, "message": {k: v for k, v in message.items() if k != "text"}},
        {"update_id": 1, "edited_message": message},
        {"update_id": 1, "message": message, "callback_query": {"id": "q"}},
        json.loads(json.dumps({"update_id": 1, "my_chat_member": {"chat": message["chat"]}})),
    ):
        assert private_text(other, CHANNEL) is None
