"""Reading a message as more about a case the citizen already sent, and the story
in a first message that also names the wish.

Pure text work for `bot.engine.routing`: "masalahnya belum selesai pak" is a
follow-up; "mau ngadu, petugas minta duit damai pas tilang" names the wish
("mau ngadu") and then tells the story, which is what the flow would ask for.
The words are in ``data/intents.txt`` ([follow_up], [wish_opening]).
"""

from __future__ import annotations

import re

from bot.language.intents import content_words, normalize
from bot.language.wordlists import sections, word_lists

_DATA = sections("intents")
MIN_STORY_WORDS = 4  # fewer content words than this only name the wish


def _follow_up_phrases() -> tuple[str, ...]:
    found = []
    for line in _DATA["follow_up"].splitlines():
        found += [part.strip() for part in line.split(":", 1)[1].split("|")]
    return tuple(normalize(phrase) for phrase in found if phrase.strip())


FOLLOW_UP_PHRASES = _follow_up_phrases()
_FOLLOW_UP_PATTERN = re.compile(r"\b(?:" + "|".join(map(re.escape, FOLLOW_UP_PHRASES)) + r")\b")
WISH_WORDS = frozenset(word_lists(_DATA["wish_opening"])["words"])
_WORD = re.compile(r"\S+")


def reads_as_follow_up(text: str) -> bool:
    """True when `text` says more about something already reported."""
    return _FOLLOW_UP_PATTERN.search(normalize(text)) is not None


def story_of(text: str) -> str | None:
    """The story told after the words that name the wish, as the citizen wrote it;
    None when the message only names the wish ("mau ngadu", "lapor kehilangan")."""
    rest = text.strip()
    while (word := _WORD.match(rest)) is not None:
        plain = normalize(word.group())
        if plain and not set(plain.split()) <= WISH_WORDS:
            break
        rest = rest[word.end() :].lstrip(" ,.:;-!")
    if len(content_words(rest)) < MIN_STORY_WORDS:
        return None
    return rest[:1].upper() + rest[1:]
