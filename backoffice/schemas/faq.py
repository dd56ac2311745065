"""What `/api/v1/faq` accepts and returns.

Texts are given per locale (`id` Indonesian, `en` English), every locale
required, so a citizen never gets an entry half in the other language.
Titles are short because they become buttons and list rows (WhatsApp list
rows take 24 characters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.domain.faq import ID_PATTERN

MAX_TITLE_CHARS = 24
MAX_QUESTION_CHARS = 200
MAX_QUESTIONS = 50
MAX_ANSWER_CHARS = 3000  # a chat message holds 4096; room for a line around it
FAQ_ID_PATTERN = f"^{ID_PATTERN.pattern}$"

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_CHARS)
]
Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_CHARS)
]
Questions = Annotated[list[Question], Field(min_length=1, max_length=MAX_QUESTIONS)]
Answer = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ANSWER_CHARS)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored


class FaqTitle(_Strict):
    id: Title
    en: Title


class FaqQuestions(_Strict):
    """Ways citizens ask this, several per language, informal ones included."""

    id: Questions
    en: Questions


class FaqAnswer(_Strict):
    id: Answer
    en: Answer


class FaqBase(_Strict):
    title: FaqTitle
    questions: FaqQuestions
    answer: FaqAnswer
    sample: bool = Field(
        default=False, description="true while the entry still holds shipped sample facts"
    )


class FaqPublic(FaqBase):
    id: str
    updated_at: datetime | None


class FaqsPublic(BaseModel):
    items: list[FaqPublic]
    total: int
