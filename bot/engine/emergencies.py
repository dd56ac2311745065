"""Emergencies inside a conversation (DESIGN §3, §6): an emergency in the present
wins at any moment; alarm words lead to the danger question.

Part of one engine turn (`bot.engine.core`); each method works on the turn's
working set (`bot.engine.turn.TurnSpace`).
"""

from __future__ import annotations

from bot.domain.i18n import N_
from bot.domain.messages import Expect, Outbound
from bot.engine.answers import ChoiceAnswer, Place
from bot.engine.effects import AddToCase, RaiseAlarm
from bot.engine.flow import Flow, Option, Step
from bot.engine.reading import place_of
from bot.engine.state import CONFIRM_STEP
from bot.engine.turn import INCIDENT_FLOW, TurnSpace
from bot.language.emergency import Assessment, said_outright


class Emergencies:
    def alarm_jumps(self: TurnSpace) -> bool:
        """Alarm words lead to the danger question outside a flow and where a
        button is expected; a free-text answer takes them as they are."""
        state = self.state
        if state.flow == INCIDENT_FLOW:
            return False
        if state.wait is not None:
            return state.wait.expects is Expect.CHOICE
        if state.flow is None or state.step == CONFIRM_STEP:
            return True
        flow = self.current_flow()
        step = flow.step(state.step or "") if flow else None
        return step is not None and step.expects is Expect.CHOICE and step.reader is None

    def emergency_wins(self: TurnSpace, found: Assessment) -> bool:
        """An emergency in the present interrupts anything; in answer to a free-text
        question (a story being told) only one said outright does."""
        state = self.state
        flow = self.current_flow()
        step = flow.step(state.step) if flow and state.step and state.step != CONFIRM_STEP else None
        if state.wait is not None:
            telling = state.wait.expects is not Expect.CHOICE
        else:
            telling = step is not None and step.expects is not Expect.CHOICE
        return not telling or said_outright(found)

    def emergency(self: TurnSpace, text: str) -> None:
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
        for answer in list(state.answers.values()):
            if isinstance(answer, Place):  # the report told where already
                self.tell_desk_where(place_of(answer))
        alarm = _alarm_option(flow)
        if alarm is not None:
            step, option = alarm
            state.answers.put(step.key, ChoiceAnswer(option.id))
            if state.step == step.key:
                self.advance(flow, step)
                return
        self.prompt_again(or_menu=True)

    def emergency_answer(self: TurnSpace, ref: str) -> None:
        phone = dialable(self.engine.desks.default.phone)
        text = self.t(N_("emergency.call_now"), ref=ref, phone=phone)
        self.reply.messages.append(Outbound(text=text, urgent=True))


def dialable(phone: str) -> str:
    """A phone number as a phone dials it, "(0711) 555-0100" → "07115550100":
    chat apps make plain digits tappable (the web page links them)."""
    return ("+" if phone.strip().startswith("+") else "") + "".join(filter(str.isdigit, phone))


def _alarm_option(flow: Flow) -> tuple[Step, Option] | None:
    """The step and option of `flow` that mean "someone is in danger now"."""
    for step in flow.steps:
        for option in step.options:
            if option.alarm:
                return step, option
    return None
