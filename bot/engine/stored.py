"""A conversation's state as stored in `conversations.state` (JSON), read tolerantly.

Written as the fields of `ConversationState`, the answers in their JSON shape
(`bot.engine.answers`) and a wait as ``{"name": ..., **its fields}``. Read
also from the shape stored before waits were typed: ``"pending": "language"``
with its ``"pending_data"``. A field that cannot be read gets its default, an
unknown wait or answer is dropped: a conversation is never lost to a bad field.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from bot.engine.answers import Answers
from bot.engine.state import ConversationState
from bot.engine.waits import read_wait

_PLAIN = tuple(
    each.name for each in fields(ConversationState) if each.name not in ("answers", "wait")
)


def state_to_json(state: ConversationState) -> str:
    data: dict[str, Any] = {name: getattr(state, name) for name in _PLAIN}
    data["answers"] = state.answers.to_json()
    data["wait"] = None if state.wait is None else {"name": state.wait.name, **state.wait.to_json()}
    return json.dumps(data, ensure_ascii=False)


def state_from_json(raw: str | None) -> ConversationState:
    if not raw:
        return ConversationState()
    data: dict[str, Any] = json.loads(raw)
    state = ConversationState(**{name: data[name] for name in _PLAIN if name in data})
    state.answers = Answers.from_json(data.get("answers"))
    wait = data.get("wait")
    if isinstance(wait, dict):
        state.wait = read_wait(wait.get("name"), wait)
    else:  # stored before waits were typed
        state.wait = read_wait(data.get("pending"), data.get("pending_data"))
    return state
