"""The understanding evaluation (issue #10) as a test: each line of
`tests/language/data/understanding_eval.tsv` is one citizen's first message
through the real engine (`bench.understanding_eval`), idle and with an open
case. At least 90 % must get the right first reply and at most 10 % a
clarifying question, on the tune split and on the held-out split, which is
never read while tuning (a failure here prints numbers only for it).
"""

from __future__ import annotations

import pytest

from bench.understanding_eval import SITUATIONS, Line, Result, read_eval_set, run
from bot.engine.faq import snapshot
from bot.language.intents import BUILTIN_PHRASES, FAQ_PREFIX
from bot.services.faq import load_shipped
from tests.language.test_intent_eval import read_eval_set as read_older_set
from tests.language.test_intent_eval import verbatim

MIN_RIGHT = 0.90
MAX_ASKS = 0.10
MIN_LINES = 400


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    return read_eval_set()


@pytest.fixture(scope="module")
def results(lines: list[Line]) -> dict[str, list[Result]]:
    return {situation: run(lines, cases, rounds=1) for situation, cases in SITUATIONS.items()}


def test_the_set_is_large_and_covers_every_intent(lines: list[Line]) -> None:
    assert len(lines) >= MIN_LINES
    faq = {FAQ_PREFIX + entry.id for entry in load_shipped()}
    assert {line.intent for line in lines} == {*BUILTIN_PHRASES, "emergency", *faq}
    assert {line.split for line in lines} == {"tune", "heldout"}


def test_no_eval_line_is_in_the_phrase_lists(lines: list[Line]) -> None:
    known = {verbatim(p) for phrases in BUILTIN_PHRASES.values() for p in phrases}
    known |= {verbatim(p) for entry in snapshot(load_shipped()).entries for p in entry.phrases()}
    leaked = [line for line in lines if verbatim(line.text) in known]
    leaked_older = [text for text, _ in read_older_set() if verbatim(text) in known]
    shown = [line.text for line in leaked if line.split == "tune"]
    assert not leaked, f"{len(leaked)} eval lines copied into the phrase lists (tune: {shown})"
    assert not leaked_older


HELDOUT_REACHED = 0.90
"""What the held-out split reaches today (91.6 % idle, 91.0 % after filing): it may not
fall back."""


@pytest.mark.parametrize("situation", list(SITUATIONS))
@pytest.mark.parametrize("split", ["tune", "heldout"])
def test_the_first_reply_is_right(
    results: dict[str, list[Result]], situation: str, split: str
) -> None:
    found = [r for r in results[situation] if r.line.split == split]
    right = sum(r.right for r in found) / len(found)
    asks = sum(r.asks and not r.right for r in found) / len(found)
    wrong = [f"{r.line.text!r}: {r.line.intent} -> {r.got}" for r in found if not r.right]
    shown = "\n".join(wrong) if split == "tune" else f"{len(wrong)} heldout lines (not shown)"
    assert right >= MIN_RIGHT, f"{situation}, {split}: {right:.1%} right\n{shown}"
    assert asks <= MAX_ASKS, f"{situation}, {split}: {asks:.1%} clarifications\n{shown}"


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_heldout_split_does_not_fall_back(
    results: dict[str, list[Result]], situation: str
) -> None:
    found = [r for r in results[situation] if r.line.split == "heldout"]
    right = sum(r.right for r in found) / len(found)
    asks = sum(r.asks and not r.right for r in found) / len(found)
    assert right >= HELDOUT_REACHED, f"{situation}: heldout {right:.1%} right (lines not shown)"
    assert asks <= MAX_ASKS, f"{situation}: heldout {asks:.1%} clarifications (lines not shown)"
