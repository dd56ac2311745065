"""The pure conversation engine: stored state and one input in, replies and effects out.

It does no I/O. `bot.ingress.runner` loads the state, calls `Engine.handle`
inside the transaction and records what comes back. Who handles a message
follows DESIGN §3: an exact command word; an emergency in the present
(`bot.engine.emergencies`); then the input the current step expects
(`bot.engine.steps`); then, outside a flow, a follow-up to the citizen's
open case, or the wish it names (`bot.engine.routing`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.desks import DutyDesks
from bot.domain.i18n import N_, Translator
from bot.domain.messages import (
    Choice,
    Expect,
    FileRefusal,
    Inbound,
    InboundKind,
    Outbound,
    number_choices,
)
from bot.domain.surveys import LATER_ID, read_start_choice
from bot.engine.compose import compose
from bot.engine.effects import (
    SetBroadcastOptIn,
    SetLocale,
)
from bot.engine.emergencies import Emergencies
from bot.engine.flow import Flow, MenuEntry
from bot.engine.matching import (
    command_word,
    looks_english,
    pick_option,
)
from bot.engine.own_cases import OwnCases
from bot.engine.reading import DONE_ID, DONE_WORDS, SKIP_ID, SKIP_WORDS, file_count
from bot.engine.routing import Routing
from bot.engine.state import CONFIRM_STEP, ConversationState, OptionWords, Wait, question_key
from bot.engine.steps import FlowSteps
from bot.engine.surveying import Surveying
from bot.engine.turn import CONFIRM_OPTIONS, INCIDENT_FLOW, Reply, Turn
from bot.engine.waits.broadcast_offer import OfferingBroadcasts
from bot.engine.waits.case_note import WritingCaseNote
from bot.engine.waits.language import LANGUAGE_WORDS, ChoosingLanguage
from bot.engine.waits.leave import ConfirmingLeave
from bot.language.emergency import Assessment, Urgency, assess

NAVIGATION = {
    "start": "start",
    "mulai": "start",
    "menu": "menu",
    "batal": "cancel",
    "cancel": "cancel",
    "kembali": "back",
    "back": "back",
    "bantuan": "help",
    "help": "help",
    "bahasa": "language",
    "language": "language",
    "berhenti": "stop",
    "stop": "stop",
    "privasi": "privacy",
    "privacy": "privacy",
    "survei": "survey",
    "survey": "survey",
}
FLOOD_WINDOW = timedelta(minutes=1)
# A file not kept for what it was, or for a full disk. One nobody asked for is
# not mentioned here: the question asked says what it needs (`on_other`).
FILE_REFUSED = {
    FileRefusal.NOT_ACCEPTED: N_("input.file_rejected"),
    FileRefusal.NOT_SAVED: N_("input.file_not_saved"),
}


class Engine:
    def __init__(
        self,
        *,
        flows: dict[str, Flow],
        menu: tuple[MenuEntry, ...],
        translator: Translator,
        idle_seconds: int,
        desks: DutyDesks,
        flood_limit: int = 30,
        assess: Callable[[str], Assessment] = assess,
    ) -> None:
        self.flood_limit = flood_limit
        self.desks = desks  # the duty desks whose numbers citizens are given
        self.assess = assess
        self.flows = flows
        self.menu = menu
        self.translator = translator
        self.idle = timedelta(seconds=idle_seconds)
        self.flow_commands = {word: entry.flow for entry in menu for word in entry.commands}
        self.flow_words = {entry.flow: entry.commands for entry in menu}

    def handle(self, state: ConversationState, inbound: Inbound, turn: Turn) -> Reply:
        """Decide the reply to one inbound event. Mutates and returns `state` in the reply.

        A citizen who sends more than `flood_limit` messages in a minute is
        slowed down: every message is still handled and recorded, but the
        answers are held back behind one polite note until the minute is over.
        An emergency answer is never held back.
        """
        flooding = self._count_burst(state, turn.now)
        run = _TurnRun(self, state, turn)
        reply = run.run(inbound)
        reply.messages = compose(reply.messages, run.alone)
        if flooding:
            first_over = state.burst_count == self.flood_limit + 1
            note = Outbound(self.translator.text(reply.locale, N_("input.slow_down")))
            urgent = [message for message in reply.messages if message.urgent]
            reply.messages = urgent + ([note] if first_over else [])
        return reply

    def _count_burst(self, state: ConversationState, now: datetime) -> bool:
        started = datetime.fromisoformat(state.burst_started_at) if state.burst_started_at else None
        if started is None or now - started >= FLOOD_WINDOW:
            state.burst_started_at = now.isoformat()
            state.burst_count = 0
        state.burst_count += 1
        return state.burst_count > self.flood_limit

    def takes_file(self, state: ConversationState, *, has_open_cases: bool) -> bool:
        """Whether a file sent now would be used: for a photo step, a note to a case,
        or a follow-up to an open case. Asked before a file is stored, so nothing is
        kept that no case can take (`bot.ingress.intake`)."""
        wait = state.wait
        if isinstance(wait, WritingCaseNote):
            return True
        if wait is not None and not isinstance(wait, OfferingBroadcasts):  # that one reads afresh
            return False
        flow = self.flows.get(state.flow) if state.flow else None
        if flow is None:
            return has_open_cases
        steps = {step.key: step for step in flow.steps}
        step = steps.get(state.step or "")
        return step is not None and step.expects is Expect.MEDIA

    def expire(self, state: ConversationState, turn: Turn) -> Reply:
        """End an idle flow (the scheduler calls this) and say so."""
        run = _TurnRun(self, state, turn)
        run.end_flow_expired()
        run.reply.messages = compose(run.reply.messages, run.alone)
        return run.reply


class _TurnRun(Emergencies, FlowSteps, OwnCases, Routing, Surveying):
    """One turn's working set: the state being changed and the replies being built."""

    def __init__(self, engine: Engine, state: ConversationState, turn: Turn) -> None:
        self.engine = engine
        self.state = state
        self.turn = turn
        self.reply = Reply(state=state, locale=engine.translator.supported(turn.locale))
        self.alone: list[Outbound] = []  # said apart from a question (`compose`)

    @property
    def open_cases(self) -> tuple[str, ...]:
        return self.turn.open_cases

    # -- saying things -------------------------------------------------

    def t(self, key: str, **params: object) -> str:
        return self.engine.translator.text(self.reply.locale, key, **params)

    def say(self, key: str, **params: object) -> None:
        self.reply.messages.append(Outbound(text=self.t(key, **params)))

    def say_alone(self, key: str, **params: object) -> None:
        """Say something in a message of its own, never joined to a question."""
        self.alone.append(Outbound(text=self.t(key, **params)))
        self.reply.messages.append(self.alone[-1])

    def ask(self, text: str, choices: list[Choice], expects: Expect) -> None:
        """Ask a question; its buttons are numbered as a typed number reads them."""
        self.state.choice_ids = [choice.id for choice in choices]
        token = self.state.next_prompt(question_key(self.state, text, choices))
        shown = number_choices(choices)
        self.reply.messages.append(
            Outbound(text=text, choices=shown, expects=expects, prompt_token=token)
        )

    def set_broadcasts(self, *, opt_in: bool, said: str) -> None:
        """Opt in to announcements and surveys, or out of them, and say `said`."""
        self.reply.effects.append(SetBroadcastOptIn(opt_in=opt_in))
        self.say(said)

    def wait_for(self, wait: Wait) -> None:
        self.state.wait = wait
        wait.ask(self)

    def show_menu(self, intro_key: str = N_("menu.prompt")) -> None:
        choices = [Choice(entry.flow, self.t(entry.label)) for entry in self.engine.menu]
        choices += [
            Choice("help", self.t(N_("menu.help"))),
            Choice("language", self.t(N_("menu.language"))),
        ]
        self.ask(self.t(intro_key), choices, Expect.CHOICE)

    # -- the turn ------------------------------------------------------

    def run(self, inbound: Inbound) -> Reply:
        if self.turn.first_contact:
            self.greet(inbound)
        self.expire_if_idle()
        self.state.touched_at = self.turn.now.isoformat()
        refused = inbound.file_refused or FileRefusal.NOT_ACCEPTED  # for a MEDIA without media
        if inbound.kind is InboundKind.UNSUPPORTED:
            self.say(N_("input.unsupported"))
            self.prompt_again(or_menu=False)
        elif (
            inbound.kind is InboundKind.MEDIA and inbound.media is None and refused in FILE_REFUSED
        ):
            self.say(FILE_REFUSED[refused])
            self.prompt_again(or_menu=False)
        elif inbound.kind is InboundKind.CHOICE:
            self.on_choice(inbound)
        elif inbound.kind is InboundKind.TEXT:
            self.on_text(inbound)
        else:
            self.on_other(inbound)
        return self.reply

    def greet(self, inbound: Inbound) -> None:
        if inbound.kind is InboundKind.TEXT and looks_english(inbound.text):
            self.set_locale("en")
        self.say(N_("welcome"))
        self.say(N_("privacy.short"))

    def expire_if_idle(self) -> None:
        touched = self.state.touched()
        if self.state.flow and touched and self.turn.now - touched > self.engine.idle:
            self.end_flow_expired()

    def end_flow_expired(self) -> None:
        flow = self.engine.flows.get(self.state.flow or "")
        draft = self.state.draft_ref
        self.state.leave_flow()
        self.state.choice_ids = []
        if flow is not None:
            self.say(flow.kept or N_("flow.expired"), flow=self.t(flow.title))
        if draft:
            self.say(N_("incident.urgent_stays"), ref=draft)

    def on_choice(self, inbound: Inbound) -> None:
        choice_id = inbound.choice_id or ""
        # An invitation's buttons work at any moment, whatever prompt they came with.
        if (start := read_start_choice(choice_id)) is not None:
            self.survey_pressed(start)
            return
        if choice_id == LATER_ID:
            self.say(N_("survey.later_reply"))
            self.prompt_again(or_menu=False)
            return
        stale = inbound.prompt_token is not None and not self.state.is_live(inbound.prompt_token)
        in_progress = self.state.flow is not None or self.state.wait is not None
        if stale and (in_progress or choice_id not in self.state.choice_ids + self.menu_ids()):
            self.reply.stale_press = True
            self.say(N_("input.stale_button"))
            self.prompt_again(or_menu=True)
            return
        self.answer(choice_id=choice_id, inbound=inbound)

    def on_text(self, inbound: Inbound) -> None:
        command = command_word(inbound.text)
        if command and self.run_command(*command):
            return
        danger = self.engine.assess(inbound.text)
        if danger.urgency is Urgency.EMERGENCY_NOW and self.emergency_wins(danger):
            self.emergency(inbound.text)
        elif danger.urgency is not Urgency.NONE and self.alarm_jumps():
            self.start_flow(INCIDENT_FLOW, data={"opening": inbound.text.strip()})
        elif self.state.wait or self.state.flow:
            self.answer(choice_id=None, inbound=inbound)
        elif (typed := self.typed_choice(inbound.text)) is not None and self.can_run(typed):
            self.run_intent(typed)  # "2" or a label, for the buttons last shown
        else:
            self.route_free_text(inbound.text)

    def read_afresh(self, inbound: Inbound) -> None:
        """Take `inbound` as if nothing were asked: a passing question was passed by."""
        self.state.wait = None
        if inbound.kind is InboundKind.TEXT:
            self.on_text(inbound)
        else:
            self.on_other(inbound)

    def on_other(self, inbound: Inbound) -> None:
        if self.state.wait or self.state.flow:
            self.answer(choice_id=None, inbound=inbound)
        elif inbound.media is not None and self.turn.open_cases:
            self.follow_up("", inbound.media.media_id)
        elif inbound.file_refused is FileRefusal.NOT_EXPECTED:
            self.say(N_("input.file_not_expected"))
            self.show_menu()
        else:
            self.say(N_("input.no_context"))
            self.show_menu()

    # -- commands ------------------------------------------------------

    def menu_ids(self) -> list[str]:
        return [entry.flow for entry in self.engine.menu] + ["help", "language"]

    def run_command(self, word: str, argument: str) -> bool:
        """Carry out an exact command word; False when `word` is no command.

        Only `bahasa` and `start` take an argument ("bahasa en", a deep-link
        payload); any other word followed by more text is ordinary text.
        """
        if argument and NAVIGATION.get(word) not in ("language", "start"):
            return False
        if word in self.engine.flow_commands:
            self.start_flow(self.engine.flow_commands[word])
            return True
        action = NAVIGATION.get(word)
        if action is None:
            return False
        if action == "start" and argument in self.engine.flow_commands:
            self.start_flow(self.engine.flow_commands[argument])  # a deep link's payload
        elif action in ("start", "menu") and self.form_would_be_lost():
            self.wait_for(ConfirmingLeave())  # asked before a half-filled form is lost
        elif action in ("start", "menu"):
            self.abandon_flow()
            self.show_menu()
        elif action == "cancel":
            self.cancel()
        elif action == "survey":
            self.survey_pressed(None)
        elif action == "back":
            self.back()
        elif action == "help":
            self.help()
        elif action == "language":
            self.choose_language(argument)
        elif action == "stop":
            self.set_broadcasts(opt_in=False, said=N_("broadcast.stopped"))
            self.prompt_again(or_menu=False)
        else:
            self.say(N_("privacy.full"))
            self.prompt_again(or_menu=False)
        return True

    def form_would_be_lost(self) -> bool:
        """A form has answers that leaving it now would drop (a survey's are kept)."""
        flow = self.current_flow()
        keeps = flow is not None and flow.keeps_answers
        return self.state.answers.citizen_gave_any() and not keeps

    def left_note(self) -> str:
        """What to say of the form being left unfinished: dropped, or (a survey) kept."""
        flow = self.current_flow()
        return flow.kept if flow is not None and flow.kept else N_("flow.abandoned")

    def abandon_flow(self) -> None:
        if self.state.draft_ref:
            self.say(N_("flow.cancelled_urgent_stays"), ref=self.state.draft_ref)
        elif self.state.flow:
            self.say(self.left_note())
        self.state.leave_flow()

    def cancel(self) -> None:
        if self.state.draft_ref:  # the alarm went out: only the form is dropped
            self.abandon_flow()
        elif self.state.flow or self.state.wait:
            flow = self.current_flow()
            self.state.leave_flow()
            self.say(flow.kept if flow is not None and flow.kept else N_("flow.cancelled"))
        else:
            self.say(N_("flow.nothing_to_cancel"))
        self.show_menu()

    def back(self) -> None:
        state = self.state
        flow = self.current_flow()
        if state.wait:
            state.wait = None
        elif flow is None:
            self.say(N_("flow.nothing_to_go_back_to"))
            self.show_menu()
            return
        elif state.step == CONFIRM_STEP:
            state.step = flow.asked(state.answers)[-1].key
        elif state.editing:
            state.step = CONFIRM_STEP
            state.editing = False
        elif (previous := flow.before(state.step or "", state.answers)) is not None:
            state.step = previous.key
        elif state.draft_ref:
            self.say(N_("incident.urgent_stays"), ref=state.draft_ref)  # the alarm stands
        else:
            state.leave_flow()
            self.show_menu(N_("flow.back_to_menu"))
            return
        self.prompt_again(or_menu=True)

    def help(self) -> None:
        flow = self.current_flow()
        if flow is None:
            self.say(N_("help.general"))
            self.show_menu()
        else:
            self.say(N_("help.in_flow"), flow=self.t(flow.title))
            self.prompt_again(or_menu=True)

    def choose_language(self, argument: str) -> None:
        for locale, words in LANGUAGE_WORDS.items():
            if argument and argument in words:
                self.switch_language(locale)
                return
        self.wait_for(ChoosingLanguage())

    def set_locale(self, locale: str) -> None:
        self.reply.locale = locale
        self.reply.effects.append(SetLocale(locale=locale))

    def switch_language(self, locale: str) -> None:
        self.state.wait = None
        self.set_locale(locale)
        self.say(N_("language.changed"))
        self.prompt_again(or_menu=True)

    # -- answering the current prompt ----------------------------------

    def current_flow(self) -> Flow | None:
        return self.engine.flows.get(self.state.flow) if self.state.flow else None

    def answer(self, *, choice_id: str | None, inbound: Inbound) -> None:
        state = self.state
        if choice_id is None and inbound.kind is InboundKind.TEXT and state.choice_ids:
            choice_id = self.typed_choice(inbound.text)
        if state.wait is not None:
            state.wait.accept(self, choice_id, inbound)
        elif state.step == CONFIRM_STEP:
            self.answer_confirm(choice_id)
        elif (flow := self.current_flow()) is not None:
            self.answer_step(flow, flow.step(state.step or ""), choice_id, inbound)
        elif choice_id is not None and self.can_run(choice_id):
            self.run_intent(choice_id)
        else:
            self.route_free_text(inbound.text)

    def typed_choice(self, text: str) -> str | None:
        """Read a typed answer to a prompt with buttons: a number, a label, an alias."""
        options = self.current_options()
        return pick_option(text, options, fuzzy=not self.exact_step()) if options else None

    def exact_step(self) -> bool:
        """The question now asked takes typed options only exactly (`Step.exact`)."""
        flow = self.current_flow()
        state = self.state
        if flow is None or state.wait is not None or state.step in (None, CONFIRM_STEP):
            return False
        return flow.step(state.step or "").exact

    def current_options(self) -> list[OptionWords]:
        state = self.state
        if state.wait is not None:
            return state.wait.options(self)
        if state.flow is None:
            labels = {entry.flow: self.t(entry.label) for entry in self.engine.menu}
            labels |= {"help": self.t(N_("menu.help")), "language": self.t(N_("menu.language"))}
            return [(cid, labels.get(cid, cid), ()) for cid in state.choice_ids]
        if state.step == CONFIRM_STEP:
            return [(cid, self.t(label), aliases) for cid, label, aliases in CONFIRM_OPTIONS]
        flow = self.current_flow()
        if flow is None:
            return []
        step = flow.step(state.step or "")
        options: list[OptionWords] = [(o.id, self.t(o.label), o.aliases) for o in step.options]
        if file_count(state.answers.get(step.key)):
            options.append((DONE_ID, self.t(N_("step.done")), DONE_WORDS))
        elif step.skippable:
            options.append((SKIP_ID, self.t(N_("step.skip")), SKIP_WORDS))
        return options

    # -- prompts ---------------------------------------------------------

    def prompt_again(self, *, or_menu: bool) -> None:
        """Repeat whatever the conversation waits for; the menu if nothing (when asked)."""
        state = self.state
        flow = self.current_flow()
        if state.wait is not None:
            state.wait.ask(self)
        elif flow is not None and state.step == CONFIRM_STEP:
            self.show_summary(flow)
        elif flow is not None:
            self.prompt_step(flow, flow.step(state.step or ""))
        elif or_menu:
            self.show_menu()
