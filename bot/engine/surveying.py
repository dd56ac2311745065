"""Starting and resuming a survey: from an invitation's button at any moment, or
from the survey command.

Part of one engine turn (`bot.engine.core`). A survey runs as a flow
(`bot.flows.survey`) whose answers are recorded one by one as they are
given, so leaving it loses nothing: a start resumes at the first question
not yet answered (`Turn.surveys` knows what was answered before, across
conversations). A press in the middle of another form that has answers asks
first (`ConfirmingLeave`); a press while nothing is lost starts at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.i18n import N_
from bot.domain.survey_forms import SERVICE_NAMES, Service
from bot.domain.surveys import StartSurvey, survey_flow_name
from bot.engine.answers import Answer, Answers, ChoiceAnswer, TextAnswer
from bot.engine.flow import Flow
from bot.engine.turn import TurnSpace
from bot.engine.waits.leave import ConfirmingLeave, leave_for_survey


class Surveying:
    def survey_pressed(self: TurnSpace, start: StartSurvey | None) -> None:
        """An invitation's "start" (or the survey command): ask before a form is lost."""
        flow = self.current_flow()
        gave = self.state.answers.citizen_gave_any()
        if flow is not None and gave and not flow.keeps_answers:
            self.wait_for(ConfirmingLeave(then=leave_for_survey(start)))
            return
        self.start_survey(start)

    def start_survey(self: TurnSpace, start: StartSurvey | None) -> None:
        progress = self.turn.surveys(start)
        name = survey_flow_name(progress.code)
        flow = self.engine.flows.get(name)
        if flow is None:
            self.say(N_("survey.unknown"))
            self.prompt_again(or_menu=True)
            return
        if progress.completed:
            self.say(N_("survey.already_done"))
            self.prompt_again(or_menu=True)
            return
        given = _given(flow, progress.answers)
        data: dict[str, object] = {
            "survey": progress.code,
            "service": progress.service,
            "invitation_id": progress.invitation_id,
        }
        if self.state.flow and self.state.flow != name:
            self.say(self.left_note())
        self.state.leave_flow()
        service = SERVICE_NAMES.get(progress.service, SERVICE_NAMES[Service.GENERAL])
        intro = N_("survey.resumed") if given else N_("survey.intro")
        self.say(intro, service=self.t(service))
        self.start_flow(name, data=data, announce=False, given=Answers(given))


def _given(flow: Flow, stored: Mapping[str, str]) -> dict[str, Answer]:
    """The stored answers as the flow's steps take them (a question gone since is dropped)."""
    answers: dict[str, Answer] = {}
    keys = {step.key: step for step in flow.steps}
    for question, value in stored.items():
        step = keys.get(question)
        if step is None:
            continue
        answers[question] = ChoiceAnswer(value) if step.options else TextAnswer(value)
    return answers
