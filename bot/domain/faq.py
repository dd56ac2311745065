"""FAQ entries as values: bilingual questions and answers that admins edit,
and the rules an entry keeps. Stored by `bot.services.faq`.

Exceptions::

    FaqDataError    a text or a stored row is not a valid entry
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.i18n import LOCALES

# An intent is "faq:" + id, and a button carries it with its prompt token in
# Telegram's 64 bytes of callback data.
MAX_ID_CHARS = 40
ID_PATTERN = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_ID_CHARS - 1}}}")


class FaqDataError(ValueError):
    """An FAQ entry is malformed (a missing locale, an empty text, a bad id)."""


@dataclass(frozen=True, slots=True)
class Faq:
    """One entry: per locale a short title, several question phrasings and an answer."""

    id: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    sample: bool = False
    updated_at: datetime | None = field(default=None, compare=False)

    def phrases(self) -> tuple[str, ...]:
        """Everything a citizen's question may resemble, in every locale."""
        titles = tuple(self.title.values())
        return titles + tuple(q for questions in self.questions.values() for q in questions)

    def answer_in(self, locale: str) -> str:
        return _localized(self.answer, locale)

    def title_in(self, locale: str) -> str:
        return _localized(self.title, locale)


def _localized(texts: Mapping[str, str], locale: str) -> str:
    return texts.get(locale) or texts.get(LOCALES[0]) or next(iter(texts.values()))


def make_faq(
    faq_id: str,
    *,
    title: Mapping[str, str],
    questions: Mapping[str, Iterable[str]],
    answer: Mapping[str, str],
    sample: bool = False,
    updated_at: datetime | None = None,
) -> Faq:
    """A validated entry: an id like ``skck_fee`` and, for every locale, non-empty texts."""
    if ID_PATTERN.fullmatch(faq_id) is None:
        raise FaqDataError(
            f"{faq_id!r} is not an FAQ id (a-z, 0-9, '_' or '-', at most {MAX_ID_CHARS})"
        )
    cleaned = {
        locale: tuple(q.strip() for q in found if q.strip()) for locale, found in questions.items()
    }
    for locale in LOCALES:
        if not str(title.get(locale, "")).strip() or not str(answer.get(locale, "")).strip():
            raise FaqDataError(f"FAQ {faq_id!r} has no title or answer in {locale!r}")
        if not cleaned.get(locale):
            raise FaqDataError(f"FAQ {faq_id!r} has no question in {locale!r}")
    return Faq(
        id=faq_id,
        title={locale: title[locale].strip() for locale in LOCALES},
        questions={locale: cleaned[locale] for locale in LOCALES},
        answer={locale: answer[locale].strip() for locale in LOCALES},
        sample=sample,
        updated_at=updated_at,
    )
