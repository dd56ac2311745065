"""The citizen's own cases inside a conversation: follow-ups, and what to do
after the list of them. Choosing a case and writing a note for one are waits
(`bot.engine.waits.case_choice`, `bot.engine.waits.case_note`).

Part of one engine turn (`bot.engine.core`); each method works on the turn's
working set (`bot.engine.turn.TurnSpace`).
"""

from __future__ import annotations

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect
from bot.engine.effects import AddToCase
from bot.engine.turn import TurnSpace
from bot.engine.waits.case_choice import ChoosingCase
from bot.engine.waits.my_cases import CASE_ACTION_OPTIONS, ChoosingCaseAction


class OwnCases:
    def follow_up(self: TurnSpace, text: str, media_id: int | None) -> None:
        refs = self.turn.open_cases
        if len(refs) == 1:
            self.add_to_case(refs[0], text, media_id)
        else:
            self.wait_for(ChoosingCase(text=text, media_id=media_id))

    def offer_case_actions(self: TurnSpace) -> None:
        """After the list of the citizen's cases: add something to one, or the menu."""
        if not self.turn.open_cases:
            self.show_menu(N_("faq.anything_else"))
            return
        self.state.wait = ChoosingCaseAction()
        choices = [Choice(cid, self.t(label)) for cid, label in CASE_ACTION_OPTIONS]
        self.ask(self.t(N_("cases.what_next")), choices, Expect.CHOICE)

    def add_to_case(self: TurnSpace, ref: str, text: str, media_id: int | None) -> None:
        self.reply.effects.append(AddToCase(ref=ref, text=text, media_id=media_id))
        self.say(N_("case.added"), ref=ref)
