"""The word lists of the matchers (`bot.language.intents`, `bot.language.emergency`,
`bot.language.timeparse`, `bot.services.duplicates`), and the few plain-text shapes
they are written in.

The lists live in ``data/<name>.txt`` beside this module, shipped as package
data: a file is split into ``[section]`` parts, and a line that starts with
``#`` is a comment. What a section means is up to the module that reads it,
through one of the readers below.
"""

from __future__ import annotations

from importlib import resources

SECTION_OPEN, SECTION_CLOSE = "[", "]"
COMMENT = "#"


def sections(name: str) -> dict[str, str]:
    """The sections of ``data/<name>.txt``, in file order, as section name → its lines."""
    text = resources.files(__package__).joinpath("data", f"{name}.txt").read_text("utf-8")
    found: dict[str, list[str]] = {}
    lines: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(COMMENT):
            continue
        if stripped.startswith(SECTION_OPEN) and stripped.endswith(SECTION_CLOSE):
            section = stripped[1:-1].strip()
            if section in found:
                raise ValueError(f"data/{name}.txt: section [{section}] appears twice")
            lines = found[section] = []
        elif lines is None:
            raise ValueError(f"data/{name}.txt: {stripped!r} comes before any [section]")
        else:
            lines.append(stripped)
    return {section: "\n".join(lines) for section, lines in found.items()}


def variant_table(text: str) -> dict[str, str]:
    """``canonical: variant variant`` lines as a variant → canonical mapping."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        canonical, variants = line.split(":")
        table |= dict.fromkeys(variants.split(), canonical.strip())
    return table


def word_lists(text: str) -> dict[str, list[str]]:
    """``name: word word`` lines (a name may go on over several lines) as name → words."""
    words: dict[str, list[str]] = {}
    for line in text.strip().splitlines():
        name, items = line.split(":")
        words.setdefault(name.strip(), []).extend(items.split())
    return words


def word_sets(text: str) -> dict[str, frozenset[str]]:
    """``name: word word`` lines as name → the set of its words."""
    return {name: frozenset(words) for name, words in word_lists(text).items()}


def pairs(text: str) -> dict[str, str]:
    """``meaning | written`` lines as written → meaning, in file order (``written`` may
    hold spaces and regex alternations; the first `` | `` ends the meaning)."""
    found: dict[str, str] = {}
    for line in text.strip().splitlines():
        meaning, written = line.split(" | ", 1)
        found[written.strip()] = meaning.strip()
    return found


def patterns(text: str, pieces: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """``head | regex`` lines as (head, regex); ``{name}`` in a regex stands for the piece
    `name`. The head is whatever names the pattern to its reader ("kind label", "kind")."""
    found = []
    for line in text.strip().splitlines():
        head, pattern = (part.strip() for part in line.split(" | ", 1))
        for name, piece in pieces.items():
            pattern = pattern.replace("{" + name + "}", piece)
        found.append((head, pattern))
    return tuple(found)
