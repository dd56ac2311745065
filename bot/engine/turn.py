"""What one turn of the engine works with: the turn's facts, the reply being
built, and the face the parts of a turn (`bot.engine.steps`,
`bot.engine.own_cases`, `bot.engine.emergencies`, `bot.engine.core`) show
each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.desks import DutyDesks
from bot.domain.i18n import N_, Translator
from bot.domain.messages import Inbound, Outbound
from bot.domain.surveys import StartSurvey, SurveyLookup, fresh_survey
from bot.engine.answers import Answer, Answers
from bot.engine.effects import Effect, PlaceAnswer
from bot.engine.faq import FaqSnapshot
from bot.engine.flow import CaseBrief, Flow, Lookup, MenuEntry, Step
from bot.engine.state import ConversationState, Host
from bot.language.emergency import Assessment

INCIDENT_FLOW = "incident"  # where emergencies and alarm words lead
CONFIRM_OPTIONS = (
    ("submit", N_("confirm.submit"), ("kirim", "ya", "yes", "send", "submit", "ok", "oke")),
    ("edit", N_("confirm.edit"), ("ubah", "edit", "ganti", "change")),
    ("cancel", N_("confirm.cancel"), ("batal", "cancel", "batalkan")),
)


@dataclass(frozen=True, slots=True)
class Turn:
    """What the engine may know besides the state and the input."""

    now: datetime
    locale: str
    first_contact: bool
    open_cases: tuple[str, ...]  # refs of the citizen's open cases, newest first
    new_reference: Callable[[str], str]
    faq: FaqSnapshot  # the FAQ of this moment and the intent classifier built with it
    lookup: Lookup  # application statuses, for this citizen
    cases: tuple[CaseBrief, ...] = ()  # the citizen's recent cases, newest first
    channel: str = ""  # where the citizen writes from (a step may be asked on one channel only)
    surveys: SurveyLookup = fresh_survey  # which survey a start leads to, and its answers so far
    broadcasts_decided: bool = True  # subscribed or declined once: never offered again


@dataclass
class Reply:
    state: ConversationState
    messages: list[Outbound] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    locale: str = "id"
    stale_press: bool = False  # a button of an earlier prompt was pressed and ignored


class Setup(Protocol):
    """What the engine was built with (`bot.engine.core.Engine`), as a turn reads it."""

    @property
    def flows(self) -> dict[str, Flow]: ...
    @property
    def menu(self) -> tuple[MenuEntry, ...]: ...
    @property
    def translator(self) -> Translator: ...
    @property
    def idle(self) -> timedelta: ...
    @property
    def desks(self) -> DutyDesks: ...
    @property
    def flow_commands(self) -> dict[str, str]: ...
    @property
    def flow_words(self) -> dict[str, tuple[str, ...]]: ...

    def assess(self, text: str) -> Assessment: ...


class TurnSpace(Host, Protocol):
    """One turn's working set and the moves its parts make on it."""

    turn: Turn
    reply: Reply

    @property
    def engine(self) -> Setup: ...

    def cancel(self) -> None: ...
    def survey_pressed(self, start: StartSurvey | None) -> None: ...
    def left_note(self) -> str: ...
    def say_alone(self, key: str, **params: object) -> None: ...
    def emergency_answer(self, ref: str) -> None: ...
    def alarm_jumps(self) -> bool: ...
    def emergency_wins(self, found: Assessment) -> bool: ...
    def emergency(self, text: str) -> None: ...
    def start_flow(
        self,
        name: str,
        *,
        data: dict[str, object] | None = None,
        announce: bool = True,
        given: Answers | None = None,
    ) -> None: ...
    def finish(self, flow: Flow) -> None: ...
    def show_summary(self, flow: Flow) -> None: ...
    def advance(self, flow: Flow, step: Step) -> None: ...
    def on_answered(self, step: Step, answer: Answer) -> None: ...
    def keep_story(self, flow: Flow, step: Step, inbound: Inbound) -> bool: ...
    def tell_desk_where(self, place: PlaceAnswer) -> None: ...
