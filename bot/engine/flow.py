"""The declarative shape of a flow: steps that say what they ask and accept.

Flows in `bot.flows` are plain data built from these types; the engine
interprets them. A flow never touches storage or a channel: when it is
complete, its `finish` function turns the answers into effects and a reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.applications import ApplicationKind, LookupResult
from bot.domain.i18n import Translator
from bot.domain.messages import Expect
from bot.engine.answers import Answer, Answers
from bot.engine.effects import Effect


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a step: an id, a catalog key for its label, words that pick it."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()
    alarm: bool = False  # choosing it means someone is in danger now: 110 and the duty desk


@dataclass(frozen=True, slots=True)
class Reading:
    """What a step's text reader may use besides the text."""

    now: datetime
    zone: ZoneInfo


TextReader = Callable[[str, Reading], Answer | None]
"""Reads typed text into a step's answer (a time, a date, a number), or None."""

Condition = Callable[[Answers], bool]
"""Whether a step is asked, given the answers so far."""


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
    reader: TextReader | None = None  # typed text, read into an answer (also on choice steps)
    shown: Condition | None = None  # asked only when this holds (None: always)
    max_files: int = 1  # media steps: files it takes before moving on
    exact: bool = False  # typed text names an option only exactly: its labels differ by a "not"

    def asked(self, answers: Answers) -> bool:
        return self.shown is None or self.shown(answers)


@dataclass(frozen=True, slots=True)
class StartFlow:
    """Next, the flow `name`, started with `data` (what `FlowInput.data` gives it)."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AnythingElse:
    """Next, the menu, asking if there is anything else."""


@dataclass(frozen=True, slots=True)
class CaseActions:
    """Next, what to do with the citizen's own cases (add to one, or the menu)."""


@dataclass(frozen=True, slots=True)
class OfferBroadcasts:
    """Next, once a journey is done: offer announcements and surveys to a citizen who
    has neither subscribed nor declined (`bot.engine.waits.broadcast_offer`)."""


Next = StartFlow | AnythingElse | CaseActions | OfferBroadcasts
ANYTHING_ELSE = AnythingElse()
CASE_ACTIONS = CaseActions()
OFFER_BROADCASTS = OfferBroadcasts()


@dataclass(frozen=True, slots=True)
class Finished:
    """What completing a flow produces: records to make, what to say, what comes next
    (None: nothing more)."""

    effects: tuple[Effect, ...]
    texts: tuple[str, ...]
    then: Next | None = None


@dataclass(frozen=True, slots=True)
class CaseBrief:
    """One of the citizen's own cases, as the status flow lists it."""

    ref: str
    kind: str
    status: str
    updated_at: datetime


Lookup = Callable[[ApplicationKind, str, date], LookupResult]
"""Looks an application up for this citizen (and records the attempt)."""


@dataclass(frozen=True, slots=True)
class FlowInput:
    """The answers of a completed flow and what `finish` may use besides."""

    answers: Answers
    now: datetime
    new_reference: Callable[[str], str]
    translator: Translator
    locale: str
    lookup: Lookup
    cases: tuple[CaseBrief, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)  # what the flow was started with
    draft_ref: str | None = None  # a case opened before the end (an urgent incident)

    def text(self, key: str, **params: object) -> str:
        return self.translator.text(self.locale, key, **params)

    def time(self, moment: datetime) -> str:
        return self.translator.datetime(self.locale, moment)


AnswerEffects = Callable[[str, Answer, Mapping[str, Any]], tuple[Effect, ...]]
"""What one answer (to the step keyed so, in a flow started with that data) records at once."""

PromptParams = Callable[[Mapping[str, Any]], Mapping[str, str]]
"""Catalog keys that fill the prompts' placeholders, from the data the flow was started with."""


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    title: str  # catalog key
    steps: tuple[Step, ...]
    finish: Callable[[FlowInput], Finished]
    confirm: bool = True  # show a summary and ask before finishing (not for a lookup)
    on_answer: AnswerEffects | None = None  # each answer recorded as it is given (a survey)
    prompt_params: PromptParams | None = None
    kept: str | None = None  # catalog key said when it is left unfinished: what stays

    @property
    def keeps_answers(self) -> bool:
        """Its answers are recorded as they come: leaving it half-way loses nothing."""
        return self.on_answer is not None

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def asked(self, answers: Answers) -> list[Step]:
        """The steps asked, given the answers so far."""
        return [step for step in self.steps if step.asked(answers)]

    def after(self, key: str, answers: Answers) -> Step | None:
        """The next step asked after `key`, or None at the end."""
        position = [step.key for step in self.steps].index(key)
        return next((s for s in self.steps[position + 1 :] if s.asked(answers)), None)

    def before(self, key: str, answers: Answers) -> Step | None:
        """The step asked before `key`, or None at the start."""
        position = [step.key for step in self.steps].index(key)
        return next((s for s in reversed(self.steps[:position]) if s.asked(answers)), None)


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """A main-menu item: the flow it starts, its label, the exact words that reach it.

    Free text reaches it too, through `bot.language.intents` (intent = the flow's name).
    """

    flow: str
    label: str  # catalog key
    commands: tuple[str, ...]  # exact words, with or without a slash
