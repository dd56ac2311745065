"""Top-1 accuracy of the intent classifier on held-out citizen phrasings.

`tests/language/data/intent_eval.tsv` holds realistic messages (Indonesian with
typos, abbreviations and slang, and English) with the intent each should
reach. They are held out: none of them may appear in the phrase lists the
classifier is built from, or the accuracy would measure memory, not reading.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

from bot.engine.faq import FaqSnapshot, snapshot
from bot.language.intents import BUILTIN_PHRASES, FAQ_PREFIX, NONE
from bot.services.faq import load_shipped

EVAL_SET = Path(__file__).parent / "data" / "intent_eval.tsv"
REQUIRED_ACCURACY = 0.90
MIN_PHRASES = 150


def read_eval_set(path: Path = EVAL_SET) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, intent = line.split("\t")
            rows.append((text, intent))
    return rows


def verbatim(text: str) -> str:
    """How a phrase reads ignoring only case, accents, punctuation and spacing."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@pytest.fixture(scope="module")
def shipped() -> FaqSnapshot:
    return snapshot(load_shipped())


def test_the_eval_set_is_large_and_names_known_intents(shipped: FaqSnapshot) -> None:
    """This older set predates the wishes of issue #10 (menu, cancel, thanks, …), which
    tests/language/data/understanding_eval.tsv covers with every other intent."""
    rows = read_eval_set()
    assert len(rows) >= MIN_PHRASES
    intents = set(BUILTIN_PHRASES) | {FAQ_PREFIX + entry.id for entry in shipped.entries}
    assert {intent for _, intent in rows} <= intents
    assert NONE in {intent for _, intent in rows}


def test_no_eval_phrase_is_in_the_phrase_lists(shipped: FaqSnapshot) -> None:
    known = {verbatim(p) for phrases in BUILTIN_PHRASES.values() for p in phrases}
    known |= {verbatim(p) for entry in shipped.entries for p in entry.phrases()}
    leaked = sorted(text for text, _ in read_eval_set() if verbatim(text) in known)
    assert leaked == [], f"eval phrases copied into the phrase lists: {leaked}"


def test_top1_accuracy(shipped: FaqSnapshot) -> None:
    rows = read_eval_set()
    misses: dict[str, list[str]] = defaultdict(list)
    for text, expected in rows:
        found = shipped.classify(text)
        if found.intent != expected:
            got = ", ".join(f"{c.intent} {c.score:.2f}" for c in found.candidates) or "-"
            misses[expected].append(f"{text!r} -> {found.intent} ({found.tier}: {got})")
    accuracy = 1 - sum(len(found) for found in misses.values()) / len(rows)
    report = "\n".join(
        f"{intent}: {len(found)} missed\n  " + "\n  ".join(found)
        for intent, found in sorted(misses.items())
    )
    assert accuracy >= REQUIRED_ACCURACY, f"top-1 accuracy {accuracy:.1%}\n{report}"
