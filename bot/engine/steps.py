"""Moving through a flow's steps: answers, the summary, finishing, prompts.

Part of one engine turn (`bot.engine.core`); each method works on the turn's
working set (`bot.engine.turn.TurnSpace`).
"""

from __future__ import annotations

from bot.domain.i18n import N_
from bot.domain.messages import REQUEST_LOCATION, Choice, Expect, Inbound, InboundKind, Outbound
from bot.engine.answers import (
    CHANNEL_KEY,
    Answer,
    Answers,
    ChoiceAnswer,
    MediaAnswer,
    Place,
    TextAnswer,
)
from bot.engine.effects import PlaceAnswer, RaiseAlarm, ShareLocation
from bot.engine.emergencies import dialable
from bot.engine.flow import (
    AnythingElse,
    CaseActions,
    Flow,
    FlowInput,
    OfferBroadcasts,
    Reading,
    StartFlow,
    Step,
)
from bot.engine.reading import (
    DONE_ID,
    SKIP_ID,
    describe,
    file_count,
    place_of,
    read_answer,
    says_skip,
    story_step,
)
from bot.engine.state import CONFIRM_STEP
from bot.engine.turn import CONFIRM_OPTIONS, TurnSpace
from bot.engine.waits.broadcast_offer import OfferingBroadcasts
from bot.engine.waits.edit import ChoosingEdit

TOLD = "told"  # flow data: keys of later steps a story already answered


class FlowSteps:
    def answer_confirm(self: TurnSpace, choice_id: str | None) -> None:
        flow = self.current_flow()
        if flow is None:
            return
        if choice_id == "submit":
            self.finish(flow)
        elif choice_id == "edit":
            self.wait_for(ChoosingEdit())
        elif choice_id == "cancel":
            self.cancel()
        else:
            self.say(N_("input.choose_option"))
            self.prompt_again(or_menu=True)

    def answer_step(
        self: TurnSpace, flow: Flow, step: Step, choice_id: str | None, inbound: Inbound
    ) -> None:
        state = self.state
        reading = Reading(now=self.turn.now, zone=self.engine.translator.zone)
        so_far = state.answers.get(step.key)
        typed = inbound.text if choice_id is None and inbound.kind is InboundKind.TEXT else ""
        if (step.skippable or file_count(so_far)) and says_skip(typed):  # "gk ada foto"
            choice_id = DONE_ID if file_count(so_far) else SKIP_ID
        answer, problem = read_answer(step, choice_id, inbound, reading, so_far)
        if answer is None and choice_id is None and self.keep_story(flow, step, inbound):
            return
        if answer is None:
            self.say(problem)
            self.prompt_step(flow, step)
            return
        state.answers.put(step.key, answer)
        self.on_answered(step, answer)
        more_files = isinstance(answer, MediaAnswer) and file_count(answer) < step.max_files
        if more_files and choice_id != DONE_ID:
            self.prompt_step(flow, step)  # more may follow
            return
        self.advance(flow, step)

    def keep_story(self: TurnSpace, flow: Flow, step: Step, inbound: Inbound) -> bool:
        """A story told where a button is asked for is kept as the flow's later
        free-text answer (the description), and the question asked again."""
        if step.expects is not Expect.CHOICE or step.reader is not None:
            return False
        target = story_step(flow, step, inbound.text, self.state.answers)
        if target is None:
            return False
        self.state.answers.put(target.key, TextAnswer(inbound.text.strip()))
        told = [str(key) for key in self.state.flow_data.get(TOLD, [])]
        self.state.flow_data[TOLD] = [*told, target.key]
        self.say(N_("step.story_kept"))
        self.prompt_step(flow, step)
        return True

    def on_answered(self: TurnSpace, step: Step, answer: Answer) -> None:
        """What an answer sets off at once: the alarm, the place of an urgent case,
        the record of a survey answer."""
        flow = self.current_flow()
        if flow is not None and flow.on_answer is not None:
            self.reply.effects.extend(flow.on_answer(step.key, answer, self.state.flow_data))
        chosen = next((o for o in step.options if ChoiceAnswer(o.id) == answer), None)
        if chosen is not None and chosen.alarm:
            if not self.state.draft_ref:
                ref = self.turn.new_reference("LPR")
                opening = str(self.state.flow_data.get("opening") or "")
                self.reply.effects.append(RaiseAlarm(ref=ref, description=opening))
                self.state.draft_ref = ref
            self.emergency_answer(self.state.draft_ref)
        elif isinstance(answer, Place):
            # Said in a message of its own, which also takes a location keyboard away.
            shown = describe(step, answer, self.engine.translator, self.reply.locale)
            self.say_alone(N_("step.place_noted"), place=shown)
            if self.state.draft_ref:
                self.tell_desk_where(place_of(answer))

    def tell_desk_where(self: TurnSpace, place: PlaceAnswer) -> None:
        """An urgent case's place goes to the duty desk; the citizen learns the nearest desk."""
        self.reply.effects.append(ShareLocation(ref=str(self.state.draft_ref), place=place))
        if place.latitude is None or place.longitude is None:
            return
        desks = self.engine.desks
        local = desks.nearest(place.latitude, place.longitude)
        if local.id != desks.default.id:  # the local desk is closer than the default
            text = self.t(N_("emergency.local_desk"), desk=local.name, phone=dialable(local.phone))
            self.reply.messages.append(Outbound(text=text, urgent=True))

    def advance(self: TurnSpace, flow: Flow, step: Step) -> None:
        state = self.state
        following = flow.after(step.key, state.answers)
        told = [str(key) for key in state.flow_data.get(TOLD, [])]
        while not state.editing and following is not None and following.key in told:
            following = flow.after(following.key, state.answers)  # answered in advance
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

    def finish(self: TurnSpace, flow: Flow) -> None:
        state = self.state
        asked = {step.key for step in flow.asked(state.answers)}
        done = flow.finish(
            FlowInput(
                answers=state.answers.only(asked),
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
        state.choice_ids = []
        for text in done.texts:
            self.reply.messages.append(Outbound(text=text))
        match done.then:
            case CaseActions():
                self.offer_case_actions()
            case AnythingElse():
                self.show_menu(N_("faq.anything_else"))
            case StartFlow(name, data):
                self.start_flow(name, data=data, announce=False)
            case OfferBroadcasts() if not self.turn.broadcasts_decided:
                self.wait_for(OfferingBroadcasts())

    def start_flow(
        self: TurnSpace,
        name: str,
        *,
        data: dict[str, object] | None = None,
        announce: bool = True,
        given: Answers | None = None,
    ) -> None:
        """Start `name`; answers the citizen `given` already (their story in a first
        message, `bot.engine.routing`) are kept, and their steps not asked."""
        flow = self.engine.flows[name]
        if self.state.flow and self.state.flow != name:
            self.say(self.left_note())
        self.state.leave_flow()
        self.state.flow = name
        self.state.flow_data = dict(data or {})
        self.state.answers = Answers(given)
        if given:  # answered in advance: never asked, even after the steps before them
            self.state.flow_data[TOLD] = list(given.keys())
        self.state.answers.put(CHANNEL_KEY, TextAnswer(self.turn.channel))
        if announce:
            self.say(N_("flow.started"), flow=self.t(flow.title))
        asked = flow.asked(self.state.answers)
        first = next((step for step in asked if step.key not in self.state.answers), None)
        if first is not None:
            self.state.step = first.key
            self.prompt_step(flow, first)
        elif flow.confirm:
            self.state.step = CONFIRM_STEP
            self.show_summary(flow)
        else:
            self.finish(flow)

    def prompt_step(self: TurnSpace, flow: Flow, step: Step) -> None:
        files = file_count(self.state.answers.get(step.key))
        if files:
            text = self.t(N_("step.files_received"), count=files, limit=step.max_files)
            self.ask(text, [Choice(DONE_ID, self.t(N_("step.done")))], step.expects)
            return
        told = {str(key) for key in self.state.flow_data.get(TOLD, [])} - {step.key}
        asked = [s.key for s in flow.asked(self.state.answers) if s.key not in told]
        params = flow.prompt_params(self.state.flow_data) if flow.prompt_params else {}
        text = self.t(step.prompt, **{name: self.t(key) for name, key in params.items()})
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

    def show_summary(self: TurnSpace, flow: Flow) -> None:
        lines = [self.t(N_("confirm.intro"), flow=self.t(flow.title)), ""]
        for step in flow.asked(self.state.answers):
            answer = self.state.answers.get(step.key)
            shown = describe(step, answer, self.engine.translator, self.reply.locale)
            lines.append(f"{self.t(step.summary_label)}: {shown}")
        lines += ["", self.t(N_("confirm.question"))]
        choices = [Choice(cid, self.t(label)) for cid, label, _ in CONFIRM_OPTIONS]
        self.ask("\n".join(lines), choices, Expect.CHOICE)
