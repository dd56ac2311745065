"""Waiting for the citizen to choose, from a flow's summary, which answer to change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Inbound
from bot.engine.state import Host, OptionWords


@dataclass(frozen=True, slots=True)
class ChoosingEdit:
    name: ClassVar[str] = "edit"
    expects: ClassVar[Expect] = Expect.CHOICE

    def options(self, host: Host) -> list[OptionWords]:
        flow = host.current_flow()
        labels = {step.key: host.t(step.summary_label) for step in flow.steps} if flow else {}
        return [(cid, labels.get(cid, cid), ()) for cid in host.state.choice_ids]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        flow = host.current_flow()
        if flow is None or choice_id not in [step.key for step in flow.steps]:
            host.say(N_("input.choose_option"))
            host.prompt_again(or_menu=True)
            return
        state = host.state
        step = flow.step(choice_id or "")
        state.wait = None
        state.step = step.key
        state.editing = True
        if step.max_files > 1:
            state.answers.drop(step.key)  # the files are chosen again
        host.prompt_step(flow, step)

    def ask(self, host: Host) -> None:
        flow = host.current_flow()
        if flow is None:
            host.show_menu()
            return
        asked = flow.asked(host.state.answers)
        choices = [Choice(step.key, host.t(step.summary_label)) for step in asked]
        host.ask(host.t(N_("confirm.which")), choices, Expect.CHOICE)

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChoosingEdit:
        return cls()
