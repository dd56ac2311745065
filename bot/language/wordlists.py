"""Word lists written as text, the way the matchers (`bot.language.intents`,
`bot.language.emergency`, `bot.language.timeparse`, `bot.services.duplicates`) declare them."""

from __future__ import annotations


def variant_table(text: str) -> dict[str, str]:
    """``canonical: variant variant`` lines as a variant → canonical mapping."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        canonical, variants = line.split(":")
        table |= dict.fromkeys(variants.split(), canonical.strip())
    return table
