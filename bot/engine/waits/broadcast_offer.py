"""Offering announcements and surveys at the end of a journey, once.

Broadcasts go only to citizens who opted in (DESIGN §6): `langganan` at any
time, or "yes" to this offer. The offer is a passing question, not a form:
anything but a yes or a no is read as the new message it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Inbound
from bot.engine.state import Host, OptionWords

OFFER_OPTIONS = (
    ("subscribe", N_("broadcast.offer.yes"), ("ya", "iya", "y", "yes", "mau", "boleh", "oke")),
    ("decline", N_("broadcast.offer.no"), ("tidak", "tdk", "gak", "ga", "nggak", "no", "n")),
)


@dataclass(frozen=True, slots=True)
class OfferingBroadcasts:
    name: ClassVar[str] = "broadcast_offer"
    expects: ClassVar[Expect] = Expect.CHOICE

    def options(self, host: Host) -> list[OptionWords]:
        return [(cid, host.t(label), aliases) for cid, label, aliases in OFFER_OPTIONS]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        if choice_id == "subscribe":
            host.state.wait = None
            host.set_broadcasts(opt_in=True, said=N_("broadcast.started"))
        elif choice_id == "decline":
            host.state.wait = None
            host.set_broadcasts(opt_in=False, said=N_("broadcast.declined"))
        else:
            host.read_afresh(inbound)  # the citizen moved on: a photo for the case, a question

    def ask(self, host: Host) -> None:
        choices = [Choice(cid, host.t(label)) for cid, label, _ in OFFER_OPTIONS]
        host.ask(host.t(N_("broadcast.offer")), choices, Expect.CHOICE)

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfferingBroadcasts:
        return cls()
