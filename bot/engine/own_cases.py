"""The citizen's own cases inside a conversation: follow-ups, which case,
adding information or a photo to one.

Part of one engine turn (`bot.engine.core`); each method works on the turn's
working set (`bot.engine.turn.TurnSpace`).
"""

from __future__ import annotations

from bot.domain.i18n import N_
from bot.domain.messages import Choice, Expect, Inbound, InboundKind
from bot.engine.effects import AddToCase
from bot.engine.turn import MY_CASES, TurnSpace

MY_CASES_OPTIONS = (("add", N_("cases.add_info")), ("menu", N_("cases.back_to_menu")))


class OwnCases:
    def follow_up(self: TurnSpace, text: str, media_id: int | None) -> None:
        refs = self.turn.open_cases
        if len(refs) == 1:
            self.add_to_case(refs[0], text, media_id)
            return
        self.state.pending = "case"
        self.state.pending_data = {"text": text, "media_id": media_id}
        self.ask_which_case()

    def ask_which_case(self: TurnSpace) -> None:
        choices = [Choice(ref, ref) for ref in self.turn.open_cases]
        self.ask(self.t(N_("case.which")), choices, Expect.CHOICE)

    def answer_case(self: TurnSpace, choice_id: str | None) -> None:
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

    def offer_case_actions(self: TurnSpace) -> None:
        """After the list of the citizen's cases: add something to one, or the menu."""
        if not self.turn.open_cases:
            self.show_menu(N_("faq.anything_else"))
            return
        self.state.pending = MY_CASES
        choices = [Choice(cid, self.t(label)) for cid, label in MY_CASES_OPTIONS]
        self.ask(self.t(N_("cases.what_next")), choices, Expect.CHOICE)

    def answer_my_cases(self: TurnSpace, choice_id: str | None) -> None:
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

    def ask_case_note(self: TurnSpace) -> None:
        ref = str(self.state.pending_data.get("ref"))
        self.ask(self.t(N_("cases.ask_note"), ref=ref), [], Expect.TEXT)

    def answer_case_note(self: TurnSpace, inbound: Inbound) -> None:
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

    def add_to_case(self: TurnSpace, ref: str, text: str, media_id: int | None) -> None:
        self.reply.effects.append(AddToCase(ref=ref, text=text, media_id=media_id))
        self.say(N_("case.added"), ref=ref)
