"""Where a conversation stands, as stored in `conversations.state`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

Answer = dict[str, Any]
"""One step's answer: ``{"kind": "text"|"choice"|"media"|"location"|"skipped", "value": ...}``."""


@dataclass
class ConversationState:
    flow: str | None = None
    step: str | None = None  # a step key, or CONFIRM_STEP for the summary
    answers: dict[str, Answer] = field(default_factory=dict)
    editing: bool = False  # answering a step again from the summary
    pending: str | None = None  # an interruption waiting for a choice: language, edit, case
    pending_data: dict[str, Any] = field(default_factory=dict)
    flow_data: dict[str, Any] = field(default_factory=dict)  # what the flow was started with
    draft_ref: str | None = None  # an urgent case opened before the flow's end
    prompt_token: str | None = None
    choice_ids: list[str] = field(default_factory=list)  # of the last prompt, for typed numbers
    touched_at: str | None = None  # ISO time of the last message
    burst_started_at: str | None = None  # start of the current one-minute flood window
    burst_count: int = 0  # messages in that window

    def to_json(self) -> str:
        # Not `asdict`, which deep-copies every answer only for json to read it.
        return json.dumps({name: getattr(self, name) for name in _FIELDS}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> ConversationState:
        if not raw:
            return cls()
        data: dict[str, Any] = json.loads(raw)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def touched(self) -> datetime | None:
        return datetime.fromisoformat(self.touched_at) if self.touched_at else None

    def leave_flow(self) -> None:
        self.flow = None
        self.step = None
        self.answers = {}
        self.editing = False
        self.pending = None
        self.pending_data = {}
        self.flow_data = {}
        self.draft_ref = None


_FIELDS = tuple(each.name for each in fields(ConversationState))

CONFIRM_STEP = "_confirm"
