"""Canned replies: texts admins prepare, in both languages, for officers to send."""

from __future__ import annotations

import string
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from backoffice.schemas.cases import MAX_REPLY_CHARS

PLACEHOLDERS = frozenset({"ref", "officer"})


def _placeholders_known(text: str) -> str:
    """Only `{ref}` and `{officer}`, plain (no conversions or formats); `{{` is a brace."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("unbalanced braces: write {{ or }} for a brace itself") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise ValueError(f"placeholders are {{ref}} and {{officer}}, not {{{name}}}")
    return text


CannedText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REPLY_CHARS),
    AfterValidator(_placeholders_known),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CannedTexts(BaseModel):
    """The reply in each language the bot speaks."""

    model_config = ConfigDict(extra="forbid")

    id: CannedText
    en: CannedText


class CannedReplyCreate(BaseModel):
    title: Title
    texts: CannedTexts


class CannedReplyUpdate(BaseModel):
    title: Title | None = None
    texts: CannedTexts | None = None


class CannedReplyPublic(BaseModel):
    id: int
    title: str
    texts: CannedTexts
    created_at: datetime
    updated_at: datetime


class CannedRepliesPublic(BaseModel):
    items: list[CannedReplyPublic]
