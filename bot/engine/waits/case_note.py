"""Waiting for what the citizen wants to add to one of their open cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Expect, Inbound, InboundKind
from bot.engine.state import Host, OptionWords


@dataclass(frozen=True, slots=True)
class WritingCaseNote:
    name: ClassVar[str] = "case_note"
    expects: ClassVar[Expect] = Expect.TEXT
    ref: str

    def options(self, host: Host) -> list[OptionWords]:
        return []

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        text = inbound.text.strip() if inbound.kind is InboundKind.TEXT else ""
        media = inbound.media
        photo = media if media is not None and media.mime_type.startswith("image/") else None
        if self.ref not in host.open_cases:
            host.state.wait = None
            host.say(N_("cases.no_longer_open"), ref=self.ref)
            host.show_menu()
        elif text or photo:
            host.state.wait = None
            host.add_to_case(self.ref, text, photo.media_id if photo else None)
        else:
            host.say(N_("cases.note_needed"))
            self.ask(host)

    def ask(self, host: Host) -> None:
        host.ask(host.t(N_("cases.ask_note"), ref=self.ref), [], Expect.TEXT)

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WritingCaseNote:
        return cls(ref=str(data.get("ref")))
