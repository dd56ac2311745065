"""Waiting for the citizen to choose one of their open cases: for a follow-up
they already sent (`text`, `media_id`), or to write a note for it (`note`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Inbound
from bot.engine.state import Host, OptionWords
from bot.engine.waits.case_note import WritingCaseNote


@dataclass(frozen=True, slots=True)
class ChoosingCase:
    name: ClassVar[str] = "case"
    expects: ClassVar[Expect] = Expect.CHOICE
    text: str = ""
    media_id: int | None = None
    note: bool = False  # chosen from the citizen's cases: ask for what to add

    def options(self, host: Host) -> list[OptionWords]:
        return [(cid, cid, ()) for cid in host.state.choice_ids]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        if choice_id is None or choice_id not in host.open_cases:
            host.say(N_("input.choose_option"))
            host.prompt_again(or_menu=True)
        elif self.note:
            host.wait_for(WritingCaseNote(ref=choice_id))
        else:
            host.state.wait = None
            host.add_to_case(choice_id, self.text, self.media_id)

    def ask(self, host: Host) -> None:
        choices = [Choice(ref, ref) for ref in host.open_cases]
        host.ask(host.t(N_("case.which")), choices, Expect.CHOICE)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "media_id": self.media_id, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChoosingCase:
        media_id = data.get("media_id")
        return cls(
            text=str(data.get("text") or ""),
            media_id=int(media_id) if isinstance(media_id, int | str) and media_id else None,
            note=bool(data.get("note")),
        )
