"""A citizen's free message outside a flow: which wish it names, and whether it
is more about a case they already sent.

Part of one engine turn (`bot.engine.core`). The order (issue #10): commands
came first (`core`); then a message that reads as a follow-up joins the
citizen's open case (or, after a close notice, reaches the officers of the
closed one); then a clear wish is answered — an FAQ question, a new complaint,
thanks, the menu — even while a case is open; a message that is neither is
asked about ("add to PGD-… or something new?"); "did you mean" is asked only
when two wishes are truly close.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Outbound
from bot.engine.answers import Answer, Answers, ChoiceAnswer, TextAnswer
from bot.engine.effects import AddToCase
from bot.engine.flow import Flow, Reading, TextReader
from bot.engine.matching import is_greeting, names_word
from bot.engine.turn import TurnSpace
from bot.engine.waits.add_or_new import AddingOrNew
from bot.engine.waits.case_choice import ChoosingCase
from bot.language.followup import reads_as_follow_up, story_of
from bot.language.intents import FAQ_PREFIX, Classification, Tier, content_words, features

# The statuses of a case that is over (`bot.services.casework.CaseStatus`), and how
# long after it a message may still be about it: the close notice invites one.
CLOSED_STATUSES = ("resolved", "closed")
WAITING_CITIZEN = "waiting_citizen"
AFTER_CLOSE = timedelta(days=14)
# Readings a follow-up ("masih", "belum selesai") outweighs while a case is in reach:
# more about that case, not a new complaint or an application's status.
FOLLOW_UP_OVER = (None, "complaint", "incident", "status", "my_cases")
STORY_FLOWS = ("complaint", "incident")  # flows whose first message may tell the story
STORY_STEPS = ("description",)  # text steps a first message's story answers
CARRIED_CHOICES = ("category",)  # choice steps a first message may answer by naming one
WISH_LABELS = {
    "menu": N_("intent.menu"),
    "cancel": N_("intent.cancel"),
    "my_cases": N_("intent.my_cases"),
    "thanks": N_("intent.thanks"),
    "subscribe": N_("intent.subscribe"),
    "opt_out": N_("intent.opt_out"),
}
WISHES = tuple(WISH_LABELS)
# Subscribing sends the citizen more: never on a guess. An opt-out is honoured on a
# clear reading too (ahead by CLOSE_MARGIN): sending less is the safe side of a doubt.
ONLY_WHEN_SURE = ("subscribe",)
CLOSE_MARGIN = 0.08  # two readings closer than this are asked about ("skck": fee or requirements?)
WITHIN_WORDS = 4  # the longest run of words a time is looked for in
MIN_SAYING = 3  # content words of a message that may be more about a case
MY_CASES_TOPIC = {"topic": "my_cases"}  # the status flow's own-cases answer


class Router(TurnSpace, Protocol):
    """The moves routing makes besides those of every part of a turn."""

    def can_run(self, intent: str) -> bool: ...
    def officer_waits(self) -> bool: ...
    def follow_up(self, text: str, media_id: int | None) -> None: ...
    def help(self) -> None: ...
    def choose_language(self, argument: str) -> None: ...
    def carried(self, flow: Flow, text: str) -> Answers: ...


class Routing:
    def route_free_text(self: Router, text: str) -> None:
        """Text outside a flow and outside a wait."""
        found = self.turn.faq.classify(text)
        runnable = [c.intent for c in found.candidates if self.can_run(c.intent)]
        about_case = self.case_refs_in_reach()
        words = self.engine.flow_words
        named = next((i for i in runnable if names_word(text, words.get(i, ()))), None)
        clear = _clear(found, runnable)
        answering = self.officer_waits() or reads_as_follow_up(text)
        if about_case and answering and clear in FOLLOW_UP_OVER:
            self.follow_up(text, None)
        elif clear is not None and (found.tier is Tier.CONFIDENT or named is None):
            self.run_intent(clear, text)
        elif named is not None:
            self.run_intent(named, text)  # "mau lapor pengaduan", "pengadun": the flow's word
        elif about_case and (found.tier is Tier.WEAK or _a_statement(text, found)):
            self.wait_for(AddingOrNew(text=text, offered=tuple(runnable[:2])))
        elif found.tier is not Tier.NONE and runnable:
            choices = [Choice(intent, self.intent_label(intent)) for intent in runnable[:3]]
            self.ask(self.t(N_("faq.did_you_mean")), choices, Expect.CHOICE)
        else:
            if not (self.turn.first_contact or is_greeting(text) or found.small_talk):
                self.say(N_("input.not_understood"))
            self.show_menu()

    def case_refs_in_reach(self: Router) -> tuple[str, ...]:
        """The open cases a message may be about, else the one closed lately."""
        if self.turn.open_cases:
            return self.turn.open_cases
        for case in self.turn.cases[:1]:
            if case.status in CLOSED_STATUSES and self.turn.now - case.updated_at <= AFTER_CLOSE:
                return (case.ref,)
        return ()

    def officer_waits(self: Router) -> bool:
        """An officer asked the citizen something about an open case (its status says so):
        the citizen's next message is most likely the answer."""
        return any(
            case.status == WAITING_CITIZEN and case.ref in self.turn.open_cases
            for case in self.turn.cases
        )

    def follow_up(self: Router, text: str, media_id: int | None) -> None:
        refs = self.case_refs_in_reach()
        if len(refs) == 1:
            self.add_to_case(refs[0], text, media_id)
        else:
            self.wait_for(ChoosingCase(text=text, media_id=media_id))

    def add_to_case(self: Router, ref: str, text: str, media_id: int | None) -> None:
        self.reply.effects.append(AddToCase(ref=ref, text=text, media_id=media_id))
        if ref in self.turn.open_cases:
            self.say(N_("case.added"), ref=ref)
        else:
            self.say(N_("case.added_after_close"), ref=ref)

    def can_run(self: Router, intent: str) -> bool:
        if intent.startswith(FAQ_PREFIX):
            return self.turn.faq.get(intent.removeprefix(FAQ_PREFIX)) is not None
        return intent in self.engine.flows or intent in ("help", "language", *WISHES)

    def intent_label(self: Router, intent: str) -> str:
        entry = self.turn.faq.get(intent.removeprefix(FAQ_PREFIX))
        if intent.startswith(FAQ_PREFIX) and entry is not None:
            return entry.title_in(self.reply.locale)
        labels = {e.flow: e.label for e in self.engine.menu}
        labels |= {"help": N_("menu.help"), "language": N_("menu.language")}
        labels |= WISH_LABELS
        return self.t(labels[intent])

    def run_intent(self: Router, intent: str, text: str = "") -> None:
        """Start a flow, help, the language choice, a wish, or answer an FAQ entry."""
        entry = self.turn.faq.get(intent.removeprefix(FAQ_PREFIX))
        if intent == "help":
            self.help()
        elif intent == "language":
            self.choose_language("")
        elif intent == "menu":
            self.state.leave_flow()
            self.show_menu()
        elif intent == "cancel":
            self.cancel()
        elif intent == "my_cases":
            given = Answers(_choices(MY_CASES_TOPIC))
            self.start_flow("status", announce=False, given=given)
        elif intent == "thanks":
            self.say(N_("thanks.reply"))
        elif intent in ("subscribe", "opt_out"):
            subscribing = intent == "subscribe"
            said = N_("broadcast.started") if subscribing else N_("broadcast.stopped")
            self.set_broadcasts(opt_in=subscribing, said=said)
        elif intent.startswith(FAQ_PREFIX) and entry is not None:
            self.reply.messages.append(Outbound(text=entry.answer_in(self.reply.locale)))
            self.show_menu(N_("faq.anything_else"))
        elif intent in STORY_FLOWS and text:
            flow = self.engine.flows[intent]
            self.start_flow(intent, given=self.carried(flow, text))
        else:
            self.start_flow(intent)

    def carried(self: Router, flow: Flow, text: str) -> Answers:
        """What a first message already answers of `flow`: the story, the kind, the time."""
        given: dict[str, Answer] = {}
        story = story_of(text)
        words = {f for word in text.casefold().split() for f in features(word.strip(",.!?"))}
        reading = Reading(now=self.turn.now, zone=self.engine.translator.zone)
        for step in flow.steps:
            if step.key in STORY_STEPS and story and len(story) >= step.min_chars:
                given[step.key] = TextAnswer(story)
            elif step.key in CARRIED_CHOICES:
                named = [o.id for o in step.options if any(words & features(a) for a in o.aliases)]
                if len(named) == 1:
                    given[step.key] = _choices({step.key: named[0]})[step.key]
            elif step.expects is Expect.CHOICE and step.reader is not None and story:
                answer = _read_within(step.reader, text, reading)
                if answer is not None:
                    given[step.key] = answer
        return Answers(given)


def _choices(chosen: dict[str, str]) -> dict[str, Answer]:
    return {key: ChoiceAnswer(value) for key, value in chosen.items()}


def _read_within(reader: TextReader, text: str, reading: Reading) -> Answer | None:
    """What `reader` understands of a few words in a row of `text` ("tadi siang" in
    "dompet sy kecopetan di bus tadi siang"), the longest run first."""
    words = text.replace(",", " ").split()
    for size in range(min(WITHIN_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size, -1, -1):
            answer = reader(" ".join(words[start : start + size]), reading)
            if answer is not None:
                return answer
    return None


def _a_statement(text: str, found: Classification) -> bool:
    """Says something (not a greeting, chit-chat, a laugh or a few stray words)."""
    return not (found.small_talk or is_greeting(text)) and len(content_words(text)) >= MIN_SAYING


def _clear(found: Classification, runnable: list[str]) -> str | None:
    """The one wish `found` reads, or None when nothing fits or two are truly close."""
    if found.tier is Tier.NONE or not runnable or runnable[0] != found.intent:
        return None
    if found.tier is Tier.CONFIDENT:
        return found.intent
    if found.intent in ONLY_WHEN_SURE:
        return None  # offered as a choice instead
    if len(found.candidates) < 2:
        return found.intent
    best, second = found.candidates[0].score, found.candidates[1].score
    return found.intent if best - second >= CLOSE_MARGIN else None
