"""The pure conversation engine: stored state and one input in, replies and effects out.

It does no I/O. `bot.engine.runner` loads the state, calls `Engine.handle`
inside the transaction and records what comes back. Who handles a message
follows DESIGN §3: an exact command word; then the input the current step
expects; then, outside a flow, a follow-up to the citizen's open case; then
fuzzy matching against the menu.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.emergency import Urgency, urgency
from bot.engine.answers import (
    DONE_ID,
    DONE_WORDS,
    SKIP_ID,
    SKIP_WORDS,
    describe,
    file_count,
    place_of,
    read_answer,
)
from bot.engine.effects import (
    AddToCase,
    Effect,
    RaiseAlarm,
    SetBroadcastOptIn,
    SetLocale,
    ShareLocation,
)
from bot.engine.flow import CaseBrief, Flow, FlowInput, Lookup, MenuEntry, Option, Reading, Step
from bot.engine.matching import (
    command_word,
    is_greeting,
    looks_english,
    names_word,
    pick_option,
)
from bot.engine.state import CONFIRM_STEP, Answer, ConversationState
from bot.faq import FaqSnapshot
from bot.i18n import LOCALES, N_, Translator
from bot.intents import FAQ_PREFIX, Tier
from bot.messages import REQUEST_LOCATION, Choice, Expect, Inbound, InboundKind, Outbound

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
}
LANGUAGE_WORDS = {
    "id": ("id", "indonesia", "bahasa indonesia", "indonesian", "indo"),
    "en": ("en", "english", "inggris", "bahasa inggris"),
}
CONFIRM_OPTIONS = (
    ("submit", N_("confirm.submit"), ("kirim", "ya", "yes", "send", "submit", "ok", "oke")),
    ("edit", N_("confirm.edit"), ("ubah", "edit", "ganti", "change")),
    ("cancel", N_("confirm.cancel"), ("batal", "cancel", "batalkan")),
)
FLOOD_WINDOW = timedelta(minutes=1)
INCIDENT_FLOW = "incident"
MY_CASES = "my_cases"  # `Finished.then`: the citizen's own cases and what to do with them
MENU_AFTER = "menu"  # `Finished.then`: the menu, asking if there is anything else
CHOICE_PENDINGS = ("language", "edit", "case", MY_CASES)


@dataclass(frozen=True, slots=True)
class Turn:
    """What the engine may know besides the state and the input."""

    now: datetime
    locale: str
    first_contact: bool
    open_cases: tuple[str, ...]  # refs of the citizen's open cases, newest first
    new_reference: Callable[[str], str]
    faq: FaqSnapshot  # the FAQ of this moment and the intent classifier built with it
    lookup: Lookup  # application statuses, for this citizen
    cases: tuple[CaseBrief, ...] = ()  # the citizen's recent cases, newest first


@dataclass
class Reply:
    state: ConversationState
    messages: list[Outbound] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    locale: str = "id"
    stale_press: bool = False  # a button of an earlier prompt was pressed and ignored


class Engine:
    def __init__(
        self,
        *,
        flows: dict[str, Flow],
        menu: tuple[MenuEntry, ...],
        translator: Translator,
        idle_seconds: int,
        duty_phone: str,
        flood_limit: int = 30,
        assess: Callable[[str], Urgency] = urgency,
    ) -> None:
        self.flood_limit = flood_limit
        self.duty_phone = duty_phone
        self.assess = assess
        self.flows = flows
        self.menu = menu
        self.translator = translator
        self.idle = timedelta(seconds=idle_seconds)
        self._flow_commands = {word: entry.flow for entry in menu for word in entry.commands}
        self.flow_words = {entry.flow: entry.commands for entry in menu}

    def handle(self, state: ConversationState, inbound: Inbound, turn: Turn) -> Reply:
        """Decide the reply to one inbound event. Mutates and returns `state` in the reply.

        A citizen who sends more than `flood_limit` messages in a minute is
        slowed down: every message is still handled and recorded, but the
        answers are held back behind one polite note until the minute is over.
        An emergency answer is never held back.
        """
        flooding = self._count_burst(state, turn.now)
        reply = _TurnRun(self, state, turn).run(inbound)
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

    def expire(self, state: ConversationState, turn: Turn) -> Reply:
        """End an idle flow (the scheduler calls this) and say so."""
        run = _TurnRun(self, state, turn)
        run.end_flow_expired()
        return run.reply


class _TurnRun:
    """One turn's working set: the state being changed and the replies being built."""

    def __init__(self, engine: Engine, state: ConversationState, turn: Turn) -> None:
        self.engine = engine
        self.state = state
        self.turn = turn
        self.reply = Reply(state=state, locale=engine.translator.supported(turn.locale))

    # -- saying things -------------------------------------------------

    def t(self, key: str, **params: object) -> str:
        return self.engine.translator.text(self.reply.locale, key, **params)

    def say(self, key: str, **params: object) -> None:
        self.reply.messages.append(Outbound(text=self.t(key, **params)))

    def ask(self, text: str, choices: list[Choice], expects: Expect) -> None:
        token = str(int(self.state.prompt_token or "0") + 1)
        self.state.prompt_token = token
        self.state.choice_ids = [choice.id for choice in choices]
        self.reply.messages.append(
            Outbound(text=text, choices=tuple(choices), expects=expects, prompt_token=token)
        )

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
        if inbound.kind is InboundKind.UNSUPPORTED:
            self.say(N_("input.unsupported"))
            self.prompt_again(or_menu=False)
        elif inbound.kind is InboundKind.MEDIA and inbound.media is None:
            self.say(N_("input.file_rejected"))
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
        self.state.prompt_token = None
        self.state.choice_ids = []
        if flow is not None:
            self.say(N_("flow.expired"), flow=self.t(flow.title))
        if draft:
            self.say(N_("incident.urgent_stays"), ref=draft)

    def on_choice(self, inbound: Inbound) -> None:
        choice_id = inbound.choice_id or ""
        stale = inbound.prompt_token is not None and inbound.prompt_token != self.state.prompt_token
        in_progress = self.state.flow is not None or self.state.pending is not None
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
        if danger is Urgency.EMERGENCY_NOW:
            self.emergency(inbound.text)
        elif danger is Urgency.ALARM and self.alarm_jumps():
            self.start_flow(INCIDENT_FLOW, data={"opening": inbound.text.strip()})
        elif self.state.pending or self.state.flow:
            self.answer(choice_id=None, inbound=inbound)
        elif (menu_choice := self.typed_choice(inbound.text)) in self.menu_ids():
            self.run_intent(menu_choice or "")
        elif self.turn.open_cases:
            self.follow_up(inbound.text, None)
        else:
            self.route_free_text(inbound.text)

    # -- emergencies (DESIGN §3, §6) -------------------------------------------

    def alarm_jumps(self) -> bool:
        """Alarm words lead to the danger question outside a flow and where a
        button is expected; a free-text answer takes them as they are."""
        state = self.state
        if state.flow == INCIDENT_FLOW:
            return False
        if state.pending or state.flow is None or state.step == CONFIRM_STEP:
            return state.pending in (None, *CHOICE_PENDINGS)
        flow = self.current_flow()
        step = flow.step(state.step or "") if flow else None
        return step is not None and step.expects is Expect.CHOICE and step.reader is None

    def emergency(self, text: str) -> None:
        """Someone is in danger now: 110 and the duty desk at once, then the report."""
        state = self.state
        if state.draft_ref:
            self.reply.effects.append(AddToCase(ref=state.draft_ref, text=text))
            self.emergency_answer(state.draft_ref)
            self.prompt_again(or_menu=True)
            return
        ref = self.turn.new_reference("LPR")
        self.reply.effects.append(RaiseAlarm(ref=ref, description=text.strip()))
        self.emergency_answer(ref)
        flow = self.engine.flows[INCIDENT_FLOW]
        if state.flow != INCIDENT_FLOW:
            state.leave_flow()
            state.flow = INCIDENT_FLOW
            state.flow_data = {"opening": text.strip()}
            state.step = flow.steps[0].key
        state.draft_ref = ref
        alarm = _alarm_option(flow)
        if alarm is not None:
            step, option = alarm
            state.answers[step.key] = {"kind": "choice", "value": option.id}
            if state.step == step.key:
                self.advance(flow, step)
                return
        self.prompt_again(or_menu=True)

    def emergency_answer(self, ref: str) -> None:
        text = self.t(N_("emergency.call_now"), ref=ref, phone=self.engine.duty_phone)
        self.reply.messages.append(Outbound(text=text, urgent=True))

    def on_other(self, inbound: Inbound) -> None:
        if self.state.pending or self.state.flow:
            self.answer(choice_id=None, inbound=inbound)
        elif inbound.media is not None and self.turn.open_cases:
            self.follow_up("", inbound.media.media_id)
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
        if word in self.engine._flow_commands:
            self.start_flow(self.engine._flow_commands[word])
            return True
        action = NAVIGATION.get(word)
        if action is None:
            return False
        if action == "start" and argument in self.engine._flow_commands:
            self.start_flow(self.engine._flow_commands[argument])  # a deep link's payload
        elif action in ("start", "menu"):
            self.abandon_flow()
            self.show_menu()
        elif action == "cancel":
            self.cancel()
        elif action == "back":
            self.back()
        elif action == "help":
            self.help()
        elif action == "language":
            self.choose_language(argument)
        elif action == "stop":
            self.reply.effects.append(SetBroadcastOptIn(opt_in=False))
            self.say(N_("broadcast.stopped"))
            self.prompt_again(or_menu=False)
        else:
            self.say(N_("privacy.full"))
            self.prompt_again(or_menu=False)
        return True

    def abandon_flow(self) -> None:
        if self.state.flow:
            self.say(N_("flow.abandoned"))
        self.state.leave_flow()

    def cancel(self) -> None:
        if self.state.flow or self.state.pending:
            draft = self.state.draft_ref
            self.state.leave_flow()
            self.say(N_("flow.cancelled"))
            if draft:
                self.say(N_("incident.urgent_stays"), ref=draft)
        else:
            self.say(N_("flow.nothing_to_cancel"))
        self.show_menu()

    def back(self) -> None:
        state = self.state
        flow = self.current_flow()
        if state.pending:
            state.pending = None
            state.pending_data = {}
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
        self.state.pending = "language"
        self.ask(
            self.t(N_("language.prompt")),
            [Choice("id", "Bahasa Indonesia"), Choice("en", "English")],
            Expect.CHOICE,
        )

    def set_locale(self, locale: str) -> None:
        self.reply.locale = locale
        self.reply.effects.append(SetLocale(locale=locale))

    def switch_language(self, locale: str) -> None:
        self.state.pending = None
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
        if state.pending == "language":
            self.answer_language(choice_id)
        elif state.pending == "edit":
            self.answer_edit(choice_id)
        elif state.pending == "case":
            self.answer_case(choice_id)
        elif state.pending == MY_CASES:
            self.answer_my_cases(choice_id)
        elif state.pending == "case_note":
            self.answer_case_note(inbound)
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
        return pick_option(text, options) if options else None

    def current_options(self) -> list[tuple[str, str, tuple[str, ...]]]:
        state = self.state
        if state.pending == "language":
            return [(lang, lang, LANGUAGE_WORDS[lang]) for lang in LOCALES]
        if state.pending == "case_note":
            return []
        if state.pending in ("edit", "case", MY_CASES) or state.flow is None:
            labels = {choice_id: choice_id for choice_id in state.choice_ids}
            if state.flow is None and state.pending is None:
                labels = {entry.flow: self.t(entry.label) for entry in self.engine.menu}
                labels |= {"help": self.t(N_("menu.help")), "language": self.t(N_("menu.language"))}
            if state.pending == "edit" and (flow := self.current_flow()):
                labels = {step.key: self.t(step.summary_label) for step in flow.steps}
            if state.pending == MY_CASES:
                labels = {cid: self.t(label) for cid, label in MY_CASES_OPTIONS}
            return [(cid, labels.get(cid, cid), ()) for cid in state.choice_ids]
        if state.step == CONFIRM_STEP:
            return [(cid, self.t(label), aliases) for cid, label, aliases in CONFIRM_OPTIONS]
        flow = self.current_flow()
        if flow is None:
            return []
        step = flow.step(state.step or "")
        options = [(o.id, self.t(o.label), o.aliases) for o in step.options]
        if file_count(state.answers.get(step.key)):
            options.append((DONE_ID, self.t(N_("step.done")), DONE_WORDS))
        elif step.skippable:
            options.append((SKIP_ID, self.t(N_("step.skip")), SKIP_WORDS))
        return options

    def answer_language(self, choice_id: str | None) -> None:
        if choice_id in LOCALES:
            self.switch_language(choice_id or "")
        else:
            self.say(N_("input.choose_option"))
            self.prompt_again(or_menu=True)

    def answer_edit(self, choice_id: str | None) -> None:
        flow = self.current_flow()
        if flow is None or choice_id not in [step.key for step in flow.steps]:
            self.say(N_("input.choose_option"))
            self.prompt_again(or_menu=True)
            return
        step = flow.step(choice_id or "")
        self.state.pending = None
        self.state.step = step.key
        self.state.editing = True
        if step.max_files > 1:
            self.state.answers.pop(step.key, None)  # the files are chosen again
        self.prompt_step(flow, step)

    def answer_confirm(self, choice_id: str | None) -> None:
        flow = self.current_flow()
        if flow is None:
            return
        if choice_id == "submit":
            self.finish(flow)
        elif choice_id == "edit":
            self.state.pending = "edit"
            asked = flow.asked(self.state.answers)
            choices = [Choice(step.key, self.t(step.summary_label)) for step in asked]
            self.ask(self.t(N_("confirm.which")), choices, Expect.CHOICE)
        elif choice_id == "cancel":
            self.cancel()
        else:
            self.say(N_("input.choose_option"))
            self.prompt_again(or_menu=True)

    def answer_step(self, flow: Flow, step: Step, choice_id: str | None, inbound: Inbound) -> None:
        state = self.state
        reading = Reading(now=self.turn.now, zone=self.engine.translator.zone)
        so_far = state.answers.get(step.key)
        answer, problem = read_answer(step, choice_id, inbound, reading, so_far)
        if answer is None:
            self.say(problem)
            self.prompt_step(flow, step)
            return
        state.answers[step.key] = answer
        self.on_answered(step, answer)
        more_files = answer["kind"] == "media" and file_count(answer) < step.max_files
        if more_files and choice_id != DONE_ID:
            self.prompt_step(flow, step)  # more may follow
            return
        self.advance(flow, step)

    def on_answered(self, step: Step, answer: Answer) -> None:
        """What an answer sets off at once: the alarm, the place of an urgent case."""
        chosen = next((o for o in step.options if o.id == answer["value"]), None)
        if answer["kind"] == "choice" and chosen is not None and chosen.alarm:
            if not self.state.draft_ref:
                ref = self.turn.new_reference("LPR")
                opening = str(self.state.flow_data.get("opening") or "")
                self.reply.effects.append(RaiseAlarm(ref=ref, description=opening))
                self.state.draft_ref = ref
            self.emergency_answer(self.state.draft_ref)
        elif answer["kind"] in ("location", "address") and self.state.draft_ref:
            place = place_of(answer)
            self.reply.effects.append(ShareLocation(ref=self.state.draft_ref, place=place))

    def advance(self, flow: Flow, step: Step) -> None:
        state = self.state
        following = flow.after(step.key, state.answers)
        if state.editing and following is not None and following.key not in state.answers:
            state.step = following.key  # a changed answer brought up a new question
        elif state.editing or following is None:
            state.editing = False
            state.step = CONFIRM_STEP
        else:
            state.step = following.key
        if state.step == CONFIRM_STEP and not flow.confirm:
            self.finish(flow)
            return
        self.prompt_again(or_menu=True)

    def finish(self, flow: Flow) -> None:
        state = self.state
        asked = {step.key for step in flow.asked(state.answers)}
        done = flow.finish(
            FlowInput(
                answers={key: a for key, a in state.answers.items() if key in asked},
                now=self.turn.now,
                new_reference=self.turn.new_reference,
                translator=self.engine.translator,
                locale=self.reply.locale,
                lookup=self.turn.lookup,
                cases=self.turn.cases,
                data=dict(state.flow_data),
                draft_ref=state.draft_ref,
            )
        )
        self.reply.effects.extend(done.effects)
        state.leave_flow()
        state.prompt_token = None
        state.choice_ids = []
        for text in done.texts:
            self.reply.messages.append(Outbound(text=text))
        if done.then == MY_CASES:
            self.offer_case_actions()
        elif done.then == MENU_AFTER:
            self.show_menu(N_("faq.anything_else"))
        elif done.then is not None:
            self.start_flow(done.then, data=done.then_data, announce=False)

    # -- prompts ---------------------------------------------------------

    def start_flow(
        self, name: str, *, data: dict[str, object] | None = None, announce: bool = True
    ) -> None:
        flow = self.engine.flows[name]
        if self.state.flow and self.state.flow != name:
            self.say(N_("flow.abandoned"))
        self.state.leave_flow()
        self.state.flow = name
        self.state.flow_data = dict(data or {})
        first = flow.asked({})[0]
        self.state.step = first.key
        if announce:
            self.say(N_("flow.started"), flow=self.t(flow.title))
        self.prompt_step(flow, first)

    def prompt_again(self, *, or_menu: bool) -> None:
        """Repeat whatever the conversation waits for; the menu if nothing (when asked)."""
        state = self.state
        flow = self.current_flow()
        if state.pending == "language":
            self.choose_language("")
        elif state.pending == "edit" and flow is not None:
            self.answer_confirm("edit")
        elif state.pending == "case":
            self.ask_which_case()
        elif state.pending == MY_CASES:
            self.offer_case_actions()
        elif state.pending == "case_note":
            self.ask_case_note()
        elif flow is not None and state.step == CONFIRM_STEP:
            self.show_summary(flow)
        elif flow is not None:
            self.prompt_step(flow, flow.step(state.step or ""))
        elif or_menu:
            self.show_menu()

    def prompt_step(self, flow: Flow, step: Step) -> None:
        files = file_count(self.state.answers.get(step.key))
        if files:
            text = self.t(N_("step.files_received"), count=files, limit=step.max_files)
            self.ask(text, [Choice(DONE_ID, self.t(N_("step.done")))], step.expects)
            return
        asked = [s.key for s in flow.asked(self.state.answers)]
        text = self.t(step.prompt)
        if len(asked) > 1:
            footer = self.t(
                N_("flow.step_footer"), position=asked.index(step.key) + 1, total=len(asked)
            )
            text += "\n\n" + footer
        choices = [Choice(option.id, self.t(option.label)) for option in step.options]
        if step.expects is Expect.LOCATION:
            choices.insert(0, Choice(REQUEST_LOCATION, self.t(N_("step.share_location"))))
        if step.skippable:
            choices.append(Choice(SKIP_ID, self.t(N_("step.skip"))))
        self.ask(text, choices, step.expects)

    def show_summary(self, flow: Flow) -> None:
        lines = [self.t(N_("confirm.intro"), flow=self.t(flow.title)), ""]
        for step in flow.asked(self.state.answers):
            answer = self.state.answers.get(step.key)
            shown = describe(step, answer, self.engine.translator, self.reply.locale)
            lines.append(f"{self.t(step.summary_label)}: {shown}")
        lines += ["", self.t(N_("confirm.question"))]
        choices = [Choice(cid, self.t(label)) for cid, label, _ in CONFIRM_OPTIONS]
        self.ask("\n".join(lines), choices, Expect.CHOICE)

    # -- outside a flow ----------------------------------------------------

    def route_free_text(self, text: str) -> None:
        """Text outside a flow: a confident intent runs, a weak one is offered, else the menu."""
        found = self.turn.faq.classify(text)
        runnable = [c.intent for c in found.candidates if self.can_run(c.intent)]
        if found.tier is Tier.CONFIDENT and runnable and runnable[0] == found.intent:
            self.run_intent(found.intent)
        elif runnable and names_word(text, self.engine.flow_words.get(runnable[0], ())):
            self.run_intent(runnable[0])  # "mau lapor pengaduan", "pengadun": the flow's own word
        elif found.tier is not Tier.NONE and runnable:
            choices = [Choice(intent, self.intent_label(intent)) for intent in runnable[:3]]
            self.ask(self.t(N_("faq.did_you_mean")), choices, Expect.CHOICE)
        else:
            if not (self.turn.first_contact or is_greeting(text)):
                self.say(N_("input.not_understood"))
            self.show_menu()

    def can_run(self, intent: str) -> bool:
        if intent.startswith(FAQ_PREFIX):
            return self.turn.faq.get(intent.removeprefix(FAQ_PREFIX)) is not None
        return intent in self.engine.flows or intent in ("help", "language")

    def intent_label(self, intent: str) -> str:
        entry = self.turn.faq.get(intent.removeprefix(FAQ_PREFIX))
        if intent.startswith(FAQ_PREFIX) and entry is not None:
            return entry.title_in(self.reply.locale)
        labels = {e.flow: e.label for e in self.engine.menu}
        labels |= {"help": N_("menu.help"), "language": N_("menu.language")}
        return self.t(labels[intent])

    def run_intent(self, intent: str) -> None:
        """Start a flow, help, the language choice, or answer an FAQ entry."""
        entry = self.turn.faq.get(intent.removeprefix(FAQ_PREFIX))
        if intent == "help":
            self.help()
        elif intent == "language":
            self.choose_language("")
        elif intent.startswith(FAQ_PREFIX) and entry is not None:
            self.reply.messages.append(Outbound(text=entry.answer_in(self.reply.locale)))
            self.show_menu(N_("faq.anything_else"))
        else:
            self.start_flow(intent)

    def follow_up(self, text: str, media_id: int | None) -> None:
        refs = self.turn.open_cases
        if len(refs) == 1:
            self.add_to_case(refs[0], text, media_id)
            return
        self.state.pending = "case"
        self.state.pending_data = {"text": text, "media_id": media_id}
        self.ask_which_case()

    def ask_which_case(self) -> None:
        choices = [Choice(ref, ref) for ref in self.turn.open_cases]
        self.ask(self.t(N_("case.which")), choices, Expect.CHOICE)

    def answer_case(self, choice_id: str | None) -> None:
        if choice_id not in self.turn.open_cases:
            self.say(N_("input.choose_option"))
            self.prompt_again(or_menu=True)
            return
        data = self.state.pending_data
        if data.get("note"):  # chosen from the citizen's cases: ask for what to add
            self.state.pending = "case_note"
            self.state.pending_data = {"ref": choice_id}
            self.ask_case_note()
            return
        self.state.pending = None
        self.state.pending_data = {}
        self.add_to_case(choice_id or "", str(data.get("text") or ""), data.get("media_id"))

    def offer_case_actions(self) -> None:
        """After the list of the citizen's cases: add something to one, or the menu."""
        if not self.turn.open_cases:
            self.show_menu(N_("faq.anything_else"))
            return
        self.state.pending = MY_CASES
        choices = [Choice(cid, self.t(label)) for cid, label in MY_CASES_OPTIONS]
        self.ask(self.t(N_("cases.what_next")), choices, Expect.CHOICE)

    def answer_my_cases(self, choice_id: str | None) -> None:
        refs = self.turn.open_cases
        if choice_id == "menu" or (choice_id == "add" and not refs):
            self.state.pending = None
            self.show_menu()
        elif choice_id == "add" and len(refs) == 1:
            self.state.pending = "case_note"
            self.state.pending_data = {"ref": refs[0]}
            self.ask_case_note()
        elif choice_id == "add":
            self.state.pending = "case"
            self.state.pending_data = {"note": True}
            self.ask_which_case()
        else:
            self.say(N_("input.choose_option"))
            self.prompt_again(or_menu=True)

    def ask_case_note(self) -> None:
        ref = str(self.state.pending_data.get("ref"))
        self.ask(self.t(N_("cases.ask_note"), ref=ref), [], Expect.TEXT)

    def answer_case_note(self, inbound: Inbound) -> None:
        ref = str(self.state.pending_data.get("ref"))
        text = inbound.text.strip() if inbound.kind is InboundKind.TEXT else ""
        media = (
            inbound.media
            if inbound.media and inbound.media.mime_type.startswith("image/")
            else None
        )
        if ref not in self.turn.open_cases:
            self.state.pending = None
            self.state.pending_data = {}
            self.say(N_("cases.no_longer_open"), ref=ref)
            self.show_menu()
        elif text or media:
            self.state.pending = None
            self.state.pending_data = {}
            self.add_to_case(ref, text, media.media_id if media else None)
        else:
            self.say(N_("cases.note_needed"))
            self.ask_case_note()

    def add_to_case(self, ref: str, text: str, media_id: int | None) -> None:
        self.reply.effects.append(AddToCase(ref=ref, text=text, media_id=media_id))
        self.say(N_("case.added"), ref=ref)


MY_CASES_OPTIONS = (("add", N_("cases.add_info")), ("menu", N_("cases.back_to_menu")))


def _alarm_option(flow: Flow) -> tuple[Step, Option] | None:
    """The step and option of `flow` that mean "someone is in danger now"."""
    for step in flow.steps:
        for option in step.options:
            if option.alarm:
                return step, option
    return None
