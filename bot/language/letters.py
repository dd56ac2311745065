"""Letters without their accents: "é" → "e", so a citizen's spelling need not match ours."""

from __future__ import annotations

import unicodedata


def without_accents(text: str) -> str:
    """`text` with every combining mark dropped after Unicode's compatibility
    decomposition (NFKD); ASCII text, most of what citizens type, is returned as
    it is, since it has no marks to drop."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
