"""Small named matchers for free text: commands, choices, intents, language."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

from bot.language.letters import without_accents

FUZZY_CUTOFF = 85.0
TYPO_CUTOFF = 88.0
LABEL_LENGTH_SLACK = 1.5
MIN_FUZZY_CHARS = 4  # shorter words name an option only exactly
_COMMAND = re.compile(r"^/?(?P<word>[a-z_]+)(?:@\w+)?(?:\s+(?P<arg>.+))?$")


def normalize(text: str) -> str:
    """Case-folded, accent-free, single-spaced text without edge punctuation."""
    return " ".join(without_accents(text).casefold().split()).strip(" .,!?;:")


@functools.lru_cache(maxsize=4096)
def _normal_word(word: str) -> str:
    """`normalize` of an option's label or alias: the flows' own words, a few hundred,
    normalised once instead of at every message (it was a fifth of a turn)."""
    return normalize(word)


def command_word(text: str) -> tuple[str, str] | None:
    """``("bahasa", "en")`` for "/bahasa@pintu_bot en" or "Bahasa en"; None for other text."""
    match = _COMMAND.match(normalize(text))
    if match is None:
        return None
    return match["word"], (match["arg"] or "").strip()


def names_word(text: str, words: Iterable[str]) -> bool:
    """Whether a word of `text` is one of `words`, or a close misspelling of one."""
    tokens = normalize(text).split()
    return any(
        (fuzz.ratio(token, word) >= TYPO_CUTOFF and min(len(token), len(word)) >= 5)
        or token == word
        for token in tokens
        for word in words
    )


def pick_option(
    text: str, options: Sequence[tuple[str, str, Iterable[str]]], *, fuzzy: bool = True
) -> str | None:
    """The id of the option that `text` names: by number, label, alias or (`fuzzy`)
    a close spelling.

    `options` holds (id, label as shown, alias words) in the order shown.
    """
    wanted = normalize(text)
    if wanted.isdigit() and 1 <= int(wanted) <= len(options):
        return options[int(wanted) - 1][0]
    for option_id, label, aliases in options:
        if wanted == _normal_word(label) or any(wanted == _normal_word(a) for a in aliases):
            return option_id
    if len(wanted) < MIN_FUZZY_CHARS or not fuzzy:
        return None  # "ya" is no misspelt "Pelayanan publik"
    # A label is named only by text of about its length: a whole sentence that
    # merely shares a few words with a short label ("... for an skck" and
    # "Report an incident") is no choice of it.
    labels = {
        n: _normal_word(label)
        for n, (_, label, _) in enumerate(options)
        if len(wanted) <= LABEL_LENGTH_SLACK * len(label)
    }
    found = process.extractOne(wanted, labels, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF)
    return options[found[2]][0] if found else None


_ENGLISH = frozenset(
    "i you my me the a an is are was want to how what where when please "
    "hello hi good morning evening thanks thank can do does report complaint help".split()
)
_INDONESIAN = frozenset(
    "saya aku mau ingin yang dan di ke dari ini itu apa bagaimana gimana "
    "tolong halo selamat pagi siang sore malam terima kasih bisa tidak ada lapor pengaduan".split()
)


def looks_english(text: str) -> bool:
    """Whether a citizen's words are more English than Indonesian (for a first message)."""
    words = re.findall(r"[a-z']+", normalize(text))
    english = sum(word in _ENGLISH for word in words)
    indonesian = sum(word in _INDONESIAN for word in words)
    return english > indonesian


_GREETINGS = frozenset(
    "halo hallo helo hai hi hello hey pagi siang sore malam selamat assalamualaikum "
    "permisi salam good morning afternoon evening".split()
)


def is_greeting(text: str) -> bool:
    """ "Halo", "selamat pagi pak", "hi there": a greeting and little else."""
    words = re.findall(r"[a-z]+", normalize(text))
    return bool(words) and words[0] in _GREETINGS and len(words) <= 4
