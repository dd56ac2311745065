"""Waiting, after a message that is neither a clear wish nor plainly more about
an open case, for the citizen to say which: "add to PGD-… or something new?".
The wishes the message came close to are offered too, and "something new"
leads to the menu: there is always a way out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Inbound
from bot.engine.state import Host, OptionWords

NEW_ID = "new"
ADD_PREFIX = "add:"


@dataclass(frozen=True, slots=True)
class AddingOrNew:
    name: ClassVar[str] = "add_or_new"
    expects: ClassVar[Expect] = Expect.CHOICE
    text: str
    offered: tuple[str, ...] = ()  # wishes the message came close to (intent names)

    def options(self, host: Host) -> list[OptionWords]:
        return [(cid, self._label(host, cid), ()) for cid in host.state.choice_ids]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        refs = host.case_refs_in_reach()
        host.state.wait = None
        if choice_id is not None and choice_id.startswith(ADD_PREFIX):
            ref = choice_id.removeprefix(ADD_PREFIX)
            if ref in refs:
                host.add_to_case(ref, self.text, None)
                return
        if choice_id in self.offered:
            host.run_intent(choice_id, self.text)
        elif choice_id == NEW_ID:
            host.show_menu()
        else:
            host.route_free_text(inbound.text)  # a new message: read it afresh

    def ask(self, host: Host) -> None:
        refs = host.case_refs_in_reach()
        choices = [Choice(ADD_PREFIX + ref, self._label(host, ADD_PREFIX + ref)) for ref in refs]
        choices += [Choice(intent, host.intent_label(intent)) for intent in self.offered]
        choices.append(Choice(NEW_ID, host.t(N_("case.something_new"))))
        question = host.t(N_("case.add_or_new"), ref=", ".join(refs))
        host.ask(question, choices, Expect.CHOICE)

    def _label(self, host: Host, cid: str) -> str:
        if cid.startswith(ADD_PREFIX):
            return host.t(N_("case.add_to"), ref=cid.removeprefix(ADD_PREFIX))
        if cid == NEW_ID:
            return host.t(N_("case.something_new"))
        return host.intent_label(cid)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "offered": list(self.offered)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AddingOrNew:
        offered = data.get("offered")
        found = tuple(str(i) for i in offered) if isinstance(offered, list) else ()
        return cls(text=str(data.get("text") or ""), offered=found)
