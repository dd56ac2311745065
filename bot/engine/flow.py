"""The declarative shape of a flow: steps that say what they ask and accept.

Flows in `bot.flows` are plain data built from these types; the engine
interprets them. A flow never touches storage or a channel: when it is
complete, its `finish` function turns the answers into effects and a reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.engine.effects import Effect
from bot.engine.state import Answer
from bot.messages import Expect


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a step: an id, a catalog key for its label, words that pick it."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    prompt: str  # catalog key
    expects: Expect
    summary_label: str  # catalog key, used in the summary and the "edit which?" list
    options: tuple[Option, ...] = ()
    skippable: bool = False
    min_chars: int = 1
    max_chars: int = 4000
    hint: str | None = None  # catalog key of a reprompt when the answer did not fit


@dataclass(frozen=True, slots=True)
class Finished:
    """What completing a flow produces: records to make and what to say."""

    effects: tuple[Effect, ...]
    text_key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlowInput:
    """The answers of a completed flow and what `finish` may use besides."""

    answers: dict[str, Answer]
    now: datetime
    new_reference: Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str  # catalog key
    steps: tuple[Step, ...]
    finish: Callable[[FlowInput], Finished]

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def index(self, key: str) -> int:
        return [step.key for step in self.steps].index(key)


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """A main-menu item: the flow it starts, its label, the exact words that reach it.

    Free text reaches it too, through `bot.intents` (intent = the flow's name).
    """

    flow: str
    label: str  # catalog key
    commands: tuple[str, ...]  # exact words, with or without a slash
