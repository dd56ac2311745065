"""Asking before a half-filled form is left for the menu ("menu" typed mid-form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Inbound
from bot.domain.surveys import StartSurvey, read_start_choice, start_choice_id
from bot.engine.state import Host, OptionWords

SURVEY_COMMAND = "survey"  # `then`: the survey command, not an invitation's button

LEAVE_OPTIONS = (
    ("leave", N_("leave.yes"), ("ya", "iya", "yes", "keluar", "y", "ok", "oke")),
    ("stay", N_("leave.no"), ("tidak", "tdk", "gak", "ga", "nggak", "no", "n", "lanjut")),
)


def leave_for_survey(start: StartSurvey | None) -> str:
    """`ConfirmingLeave.then` for a survey started by `start` (None: the command)."""
    return SURVEY_COMMAND if start is None else start_choice_id(start.code, start.invitation_id)


@dataclass(frozen=True, slots=True)
class ConfirmingLeave:
    """`then`: where leaving leads instead of the menu (a survey, `leave_for_survey`)."""

    name: ClassVar[str] = "leave"
    expects: ClassVar[Expect] = Expect.CHOICE
    then: str | None = None

    def options(self, host: Host) -> list[OptionWords]:
        return [(cid, host.t(label), aliases) for cid, label, aliases in LEAVE_OPTIONS]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        if choice_id == "leave":
            host.abandon_flow()
            if self.then is not None:
                host.start_survey(read_start_choice(self.then))
            else:
                host.show_menu()
            return
        if choice_id == "stay":
            host.state.wait = None  # back to the form's question
        else:
            host.say(N_("input.choose_option"))
        host.prompt_again(or_menu=True)

    def ask(self, host: Host) -> None:
        flow = host.current_flow()
        title = host.t(flow.title) if flow else ""
        choices = [Choice(cid, host.t(label)) for cid, label, _ in LEAVE_OPTIONS]
        host.ask(host.t(N_("leave.question"), flow=title), choices, Expect.CHOICE)

    def to_json(self) -> dict[str, Any]:
        return {} if self.then is None else {"then": self.then}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConfirmingLeave:
        then = data.get("then")
        return cls(then=then if isinstance(then, str) else None)
