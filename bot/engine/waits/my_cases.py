"""Waiting, after the list of the citizen's cases, for what to do next: add
something to one, or the menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Expect, Inbound
from bot.engine.state import Host, OptionWords
from bot.engine.waits.case_choice import ChoosingCase
from bot.engine.waits.case_note import WritingCaseNote

CASE_ACTION_OPTIONS = (("add", N_("cases.add_info")), ("menu", N_("cases.back_to_menu")))


@dataclass(frozen=True, slots=True)
class ChoosingCaseAction:
    name: ClassVar[str] = "my_cases"
    expects: ClassVar[Expect] = Expect.CHOICE

    def options(self, host: Host) -> list[OptionWords]:
        labels = {cid: host.t(label) for cid, label in CASE_ACTION_OPTIONS}
        return [(cid, labels.get(cid, cid), ()) for cid in host.state.choice_ids]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        refs = host.open_cases
        if choice_id == "menu" or (choice_id == "add" and not refs):
            host.state.wait = None
            host.show_menu()
        elif choice_id == "add" and len(refs) == 1:
            host.wait_for(WritingCaseNote(ref=refs[0]))
        elif choice_id == "add":
            host.wait_for(ChoosingCase(note=True))
        else:
            host.say(N_("input.choose_option"))
            host.prompt_again(or_menu=True)

    def ask(self, host: Host) -> None:
        host.offer_case_actions()

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChoosingCaseAction:
        return cls()
