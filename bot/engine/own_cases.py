"""The citizen's own cases inside a conversation: what to do after the list of
them (follow-ups are routed in `bot.engine.routing`). Choosing a case and
writing a note for one are waits (`bot.engine.waits.case_choice`,
`bot.engine.waits.case_note`).

Part of one engine turn (`bot.engine.core`); each method works on the turn's
working set (`bot.engine.turn.TurnSpace`).
"""

from __future__ import annotations

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect
from bot.engine.turn import TurnSpace
from bot.engine.waits.my_cases import CASE_ACTION_OPTIONS, ChoosingCaseAction


class OwnCases:
    def offer_case_actions(self: TurnSpace) -> None:
        """After the list of the citizen's cases: add something to one, or the menu."""
        if not self.turn.open_cases:
            self.show_menu(N_("faq.anything_else"))
            return
        self.state.wait = ChoosingCaseAction()
        choices = [Choice(cid, self.t(label)) for cid, label in CASE_ACTION_OPTIONS]
        self.ask(self.t(N_("cases.what_next")), choices, Expect.CHOICE)
