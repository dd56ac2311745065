"""Waiting for the citizen to choose a language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.i18n import LOCALES, N_
from bot.domain.messages import Choice, Expect, Inbound
from bot.engine.state import Host, OptionWords

LANGUAGE_WORDS = {
    "id": ("id", "indonesia", "bahasa indonesia", "indonesian", "indo"),
    "en": ("en", "english", "inggris", "bahasa inggris"),
}


@dataclass(frozen=True, slots=True)
class ChoosingLanguage:
    name: ClassVar[str] = "language"
    expects: ClassVar[Expect] = Expect.CHOICE

    def options(self, host: Host) -> list[OptionWords]:
        return [(locale, locale, LANGUAGE_WORDS[locale]) for locale in LOCALES]

    def accept(self, host: Host, choice_id: str | None, inbound: Inbound) -> None:
        if choice_id in LOCALES:
            host.switch_language(choice_id or "")
        else:
            host.say(N_("input.choose_option"))
            host.prompt_again(or_menu=True)

    def ask(self, host: Host) -> None:
        host.ask(
            host.t(N_("language.prompt")),
            [Choice("id", "Bahasa Indonesia"), Choice("en", "English")],
            Expect.CHOICE,
        )

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChoosingLanguage:
        return cls()
