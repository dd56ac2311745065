"""Accents dropped the same way whether or not the text is plain ASCII."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.engine.matching import pick_option
from bot.language.letters import without_accents


def _decomposed_without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@given(st.text())
def test_any_text_loses_exactly_its_combining_marks(text: str) -> None:
    assert without_accents(text) == _decomposed_without_marks(text)


def test_accented_and_compatibility_letters_are_plain() -> None:
    assert without_accents("Sudah saya laporkan ke café Polsek") == (
        "Sudah saya laporkan ke cafe Polsek"
    )
    assert without_accents("ﬁle ①") == "file 1"  # compatibility forms too (NFKD)


def test_an_accented_label_or_alias_is_named_by_plain_text() -> None:
    options = [("a", "Pengaduan", ("lapor",)), ("b", "Informasi umum", ("tanya", "Café"))]
    assert pick_option("pengaduan", options) == "a"
    assert pick_option("CAFE", options) == "b"
    assert pick_option("cafe!", options) == "b"
    assert pick_option("kafe", options, fuzzy=False) is None
