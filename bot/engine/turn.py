"""What one turn of the engine works with: the turn's facts, the reply being
built, and the face the parts of a turn (`bot.engine.steps`,
`bot.engine.own_cases`, `bot.engine.core`) show each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Outbound
from bot.engine.effects import Effect, PlaceAnswer
from bot.engine.flow import CaseBrief, Flow, Lookup, Step
from bot.engine.state import Answer, ConversationState
from bot.language.emergency import Assessment
from bot.services.faq import FaqSnapshot

if TYPE_CHECKING:
    from bot.engine.core import Engine

MY_CASES = "my_cases"  # `Finished.then`: the citizen's own cases and what to do with them
MENU_AFTER = "menu"  # `Finished.then`: the menu, asking if there is anything else
INCIDENT_FLOW = "incident"  # where emergencies and alarm words lead
CHOICE_PENDINGS = ("language", "edit", "case", MY_CASES)  # interruptions waiting for a button
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


@dataclass
class Reply:
    state: ConversationState
    messages: list[Outbound] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    locale: str = "id"
    stale_press: bool = False  # a button of an earlier prompt was pressed and ignored


class TurnSpace(Protocol):
    """One turn's working set and the moves its parts make on it."""

    engine: Engine
    state: ConversationState
    turn: Turn
    reply: Reply

    def t(self, key: str, **params: object) -> str: ...
    def say(self, key: str, **params: object) -> None: ...
    def ask(self, text: str, choices: list[Choice], expects: Expect) -> None: ...
    def show_menu(self, intro_key: str = ...) -> None: ...
    def prompt_again(self, *, or_menu: bool) -> None: ...
    def current_flow(self) -> Flow | None: ...
    def cancel(self) -> None: ...
    def emergency_answer(self, ref: str) -> None: ...
    def alarm_jumps(self) -> bool: ...
    def emergency_wins(self, found: Assessment) -> bool: ...
    def emergency(self, text: str) -> None: ...
    def offer_case_actions(self) -> None: ...
    def start_flow(
        self, name: str, *, data: dict[str, object] | None = None, announce: bool = True
    ) -> None: ...
    def prompt_step(self, flow: Flow, step: Step) -> None: ...
    def add_to_case(self, ref: str, text: str, media_id: int | None) -> None: ...
    def ask_which_case(self) -> None: ...
    def ask_case_note(self) -> None: ...
    def finish(self, flow: Flow) -> None: ...
    def advance(self, flow: Flow, step: Step) -> None: ...
    def on_answered(self, step: Step, answer: Answer) -> None: ...
    def tell_desk_where(self, place: PlaceAnswer) -> None: ...
