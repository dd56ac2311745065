"""Drives `Engine` directly with an in-memory conversation: say X, expect Y.

A script is lines, each one of::

    > text          the citizen types text
    [id]            the citizen presses the button `id` (of the last prompt)
    @ lat, lon      the citizen shares a location
    # photo         the citizen sends a photo
    < words         some reply since the last input (or a button's label) contains `words`
    ! Effect        an effect since the last input is of this class

No database, no channel: the state lives in the script's `Citizen`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.domain.applications import NOT_FOUND, ApplicationKind, Found, LookupResult
from bot.domain.i18n import Translator
from bot.domain.messages import Inbound, InboundKind, Location, MediaRef, Outbound
from bot.duty.desks import load_desks
from bot.engine.core import Engine
from bot.engine.effects import Effect, SetBroadcastOptIn, SetLocale
from bot.engine.faq import snapshot
from bot.engine.flow import CaseBrief
from bot.engine.state import ConversationState
from bot.engine.turn import Turn
from bot.flows import FLOWS, MENU
from bot.flows.survey import survey_flows
from bot.services.faq import load_shipped
from bot.services.surveys import load_surveys

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
KNOWN_APPLICATION = (ApplicationKind.SKCK, "SKCK/123/XI/2026", date(1990, 8, 17))
FAQ = snapshot(load_shipped())


def engine() -> Engine:
    translator = Translator(ROOT / "locales", "id", "Asia/Jakarta")
    return Engine(
        flows=FLOWS | survey_flows(load_surveys()),
        menu=MENU,
        translator=translator,
        idle_seconds=1800,
        desks=load_desks(),
    )


def lookup(kind: ApplicationKind, number: str, born: date) -> LookupResult:
    if (kind, number, born) != KNOWN_APPLICATION:
        return NOT_FOUND
    return Found(7, kind, number, "Selesai, dapat diambil", None, START)


@dataclass
class Citizen:
    engine: Engine = field(default_factory=engine)
    state: ConversationState = field(default_factory=ConversationState)
    locale: str = "en"
    first_contact: bool = False  # the next message is this citizen's first
    channel: str = "script"
    open_cases: tuple[str, ...] = ()
    broadcasts_decided: bool = True  # subscribed or declined: no offer at a journey's end
    cases: tuple[CaseBrief, ...] = ()  # the citizen's recent cases, newest first
    now: datetime = START
    replies: list[Outbound] = field(default_factory=list)  # since the last input
    effects: list[Effect] = field(default_factory=list)  # since the last input
    _refs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _events: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, kind: InboundKind, **given: object) -> None:
        self.now += timedelta(seconds=20)
        inbound = Inbound(
            self.channel,
            "citizen-1",
            str(next(self._events)),
            kind,
            **given,  # type: ignore[arg-type]
        )
        turn = Turn(
            now=self.now,
            locale=self.locale,
            first_contact=self.first_contact,
            open_cases=self.open_cases,
            new_reference=lambda prefix: f"{prefix}-{next(self._refs)}",
            faq=FAQ,
            lookup=lookup,
            cases=self.cases,
            channel=self.channel,
            broadcasts_decided=self.broadcasts_decided,
        )
        reply = self.engine.handle(self.state, inbound, turn)
        self.first_contact = False
        self.state = reply.state
        self.replies, self.effects = reply.messages, reply.effects
        for effect in reply.effects:
            if isinstance(effect, SetLocale):
                self.locale = effect.locale
            elif isinstance(effect, SetBroadcastOptIn):
                self.broadcasts_decided = True

    def press(self, choice_id: str, on: Outbound | None = None) -> None:
        """Press `choice_id` on the prompt `on`, or on the newest prompt."""
        prompts = [reply for reply in self.replies if reply.prompt_token]
        token = on.prompt_token if on else prompts[-1].prompt_token if prompts else None
        self.send(InboundKind.CHOICE, choice_id=choice_id, prompt_token=token)

    def prompt(self) -> Outbound:
        """The newest reply with buttons."""
        return [reply for reply in self.replies if reply.choices][-1]

    def texts(self) -> str:
        """The replies since the last input, each with the labels of its buttons."""
        shown = [
            "\n".join([reply.text, *(f"[{choice.label}]" for choice in reply.choices)])
            for reply in self.replies
        ]
        return "\n---\n".join(shown)


def run(script: str, citizen: Citizen | None = None) -> Citizen:
    """Play `script` (see the module's docstring); fails at the first unmet expectation."""
    citizen = citizen or Citizen()
    for number, raw in enumerate(script.strip().splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        where = f"line {number}: {line!r}"
        if line.startswith(">"):
            citizen.send(InboundKind.TEXT, text=line[1:].strip())
        elif line.startswith("[") and line.endswith("]"):
            citizen.press(line[1:-1])
        elif line.startswith("@"):
            latitude, longitude = (float(part) for part in line[1:].split(","))
            citizen.send(InboundKind.LOCATION, location=Location(latitude, longitude))
        elif line == "# photo":
            media = MediaRef(next(citizen._events), "image/jpeg", "0" * 64)
            citizen.send(InboundKind.MEDIA, media=media)
        elif line.startswith("<"):
            words = line[1:].strip()
            assert words in citizen.texts(), f"{where}; the replies were:\n{citizen.texts()}"
        elif line.startswith("!"):
            kinds = [type(effect).__name__ for effect in citizen.effects]
            assert line[1:].strip() in kinds, f"{where}; the effects were {kinds}"
        else:
            raise ValueError(f"{where}: not a script line")
    return citizen
