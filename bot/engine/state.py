"""Where a conversation stands (`ConversationState`), and what it may be waiting
for outside a flow's steps (`Wait`, one module each in `bot.engine.waits`).

A wait works on the turn through `Host`, the part of a turn it may use; the
three types refer to each other, so they live together. The stored JSON is
read and written by `bot.engine.stored`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from bot.domain.messages import Choice, Expect, Inbound
from bot.domain.surveys import StartSurvey
from bot.engine.answers import Answers
from bot.engine.flow import Flow, Step

CONFIRM_STEP = "_confirm"
MAX_LIVE_COPIES = 5  # copies of one question whose buttons still answer it

OptionWords = tuple[str, str, Sequence[str]]
"""An option a typed answer may name: its id, its label as shown, its alias words."""


class Wait(Protocol):
    """An interruption waiting for an answer: what it accepts, how it asks again,
    where an answer leads. Stored by its `name` (the key in `bot.engine.waits.WAITS`)
    and the fields `to_json` gives."""

    name: ClassVar[str]
    expects: ClassVar[Expect]  # CHOICE: a button; TEXT: the citizen tells something

    def options(self, host: Host) -> list[OptionWords]:
        """What a typed answer may name (a number, a label, an alias)."""
        ...

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        """Take the answer (`choice_id`: a pressed or typed option, if any)."""
        ...

    def ask(self, host: Host) -> None:
        """Ask (again) for the answer."""
        ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass
class ConversationState:
    flow: str | None = None
    step: str | None = None  # a step key, or CONFIRM_STEP for the summary
    answers: Answers = field(default_factory=Answers)
    editing: bool = False  # answering a step again from the summary
    wait: Wait | None = None  # an interruption waiting for an answer
    flow_data: dict[str, Any] = field(default_factory=dict)  # what the flow was started with
    draft_ref: str | None = None  # an urgent case opened before the flow's end
    prompt_token: str | None = None  # of the last question; counts up, never restarts
    live_tokens: list[str] = field(default_factory=list)  # copies of the question now asked
    question: str | None = None  # what the question now asked is (`next_prompt`)
    choice_ids: list[str] = field(default_factory=list)  # of the last prompt, for typed numbers
    touched_at: str | None = None  # ISO time of the last message
    burst_started_at: str | None = None  # start of the current one-minute flood window
    burst_count: int = 0  # messages in that window

    def next_prompt(self, question: str) -> str:
        """The token of a new prompt. Tokens never repeat for a citizen, so an old
        button is never taken for a new one; asking the same `question` again keeps
        the buttons of its earlier copies valid."""
        token = str(int(self.prompt_token or "0") + 1)
        kept = self.live_tokens if question == self.question else []
        self.live_tokens = [*kept, token][-MAX_LIVE_COPIES:]
        self.question = question
        self.prompt_token = token
        return token

    def is_live(self, token: str) -> bool:
        """Whether a button with `token` belongs to the question now asked."""
        return token == self.prompt_token or token in self.live_tokens

    def touched(self) -> datetime | None:
        return datetime.fromisoformat(self.touched_at) if self.touched_at else None

    def leave_flow(self) -> None:
        self.flow = None
        self.step = None
        self.answers = Answers()
        self.editing = False
        self.wait = None
        self.flow_data = {}
        self.draft_ref = None


def question_key(state: ConversationState, text: str, choices: Sequence[Choice]) -> str:
    """What a question is: where the conversation stands, its words and its buttons."""
    wait = state.wait.name if state.wait is not None else ""
    parts = [state.flow or "", state.step or "", wait, text, *(choice.id for choice in choices)]
    return hashlib.blake2s("\x1f".join(parts).encode(), digest_size=8).hexdigest()


class Host(Protocol):
    """What a wait may use of the turn it is answered in (`bot.engine.core`)."""

    state: ConversationState

    @property
    def open_cases(self) -> tuple[str, ...]: ...  # the citizen's, newest first

    def t(self, key: str, **params: object) -> str: ...
    def say(self, key: str, **params: object) -> None: ...
    def ask(self, text: str, choices: list[Choice], expects: Expect) -> None: ...
    def wait_for(self, wait: Wait) -> None: ...
    def show_menu(self, intro_key: str = ...) -> None: ...
    def abandon_flow(self) -> None: ...
    def prompt_again(self, *, or_menu: bool) -> None: ...
    def current_flow(self) -> Flow | None: ...
    def prompt_step(self, flow: Flow, step: Step) -> None: ...
    def switch_language(self, locale: str) -> None: ...
    def offer_case_actions(self) -> None: ...
    def add_to_case(self, ref: str, text: str, media_id: int | None) -> None: ...
    def case_refs_in_reach(self) -> tuple[str, ...]: ...
    def run_intent(self, intent: str, text: str = "") -> None: ...
    def intent_label(self, intent: str) -> str: ...
    def route_free_text(self, text: str) -> None: ...
    def set_broadcasts(self, *, opt_in: bool, said: str) -> None: ...
    def read_afresh(self, inbound: Inbound) -> None: ...
    def start_survey(self, start: StartSurvey | None) -> None: ...
