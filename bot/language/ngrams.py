"""A character n-gram reader of intents: the second opinion beside the word-level one.

The word-level classifier (`bot.language.intents`) matches whole words, their
stems and the known word a typo is closest to. It is precise, but a word it
cannot place — a spelling nobody listed, a slang form, a stem its rough
rules miss — counts for nothing. Pieces of words survive that: "dicuekin"
and "cuek" share " cue", "cuek"; "kecopetan" and "copet" share "cope",
"opet". So this model reads a message as the set of 3- to 5-letter pieces
of its words, each word marked at both ends (" copet " gives " co", "cop",
"cope", "pet ", …), which is the
classic cheap answer to typos and free spelling.

It is a TF-IDF model (nearest centroid and nearest phrase), trained when it is
built (about a tenth of a second for some 2,500 phrases) on the same phrase
lists as the word-level classifier, with nothing downloaded and nothing learnt
at run time:

- each phrase becomes a vector of its pieces, counted sublinearly
  (1 + log count) and weighted by how rare a piece is among all phrases
  (inverse document frequency), scaled to length 1;
- an intent's centroid is the mean of its phrases' vectors, scaled to
  length 1;
- a message scores, per intent, half the cosine between its own vector and
  that centroid, half the cosine with the intent's nearest single phrase
  (0..1): the centroid hears what an intent's phrasings share, the nearest
  phrase a wording only one of them has. Both go through indexes from a
  piece to its row of centroid values (one per intent, summed column by
  column) and to the phrases that have it, so only the pieces the message
  has are visited.

The input is text already normalised by the caller (slang spelt out, filler
words dropped): this module only knows about letters.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

MIN_N = 3
MAX_N = 5
BOUNDARY = " "
# Pieces in more phrases than this (" pe", "an ") say little about which phrase is
# nearest and would cost most of the time: the nearest-phrase cosine leaves them out.
MAX_POSTINGS = 20
WORD_CACHE_SIZE = 20_000  # words' pieces: the phrase lists use some 3,000 words
CENTROID_SHARE = 0.5  # the rest of a score is the nearest single phrase's cosine


def pieces(text: str) -> dict[str, int]:
    """The 3- to 5-letter pieces of each word of `text`, with the word's ends marked, counted."""
    found: dict[str, int] = defaultdict(int)
    for word in text.split():
        for piece in _word_pieces(word):
            found[piece] += 1
    return found


@functools.lru_cache(maxsize=WORD_CACHE_SIZE)
def _word_pieces(word: str) -> tuple[str, ...]:
    marked = BOUNDARY + word + BOUNDARY
    return tuple(
        marked[start : start + size]
        for size in range(MIN_N, MAX_N + 1)
        for start in range(len(marked) - size + 1)
    )


def _unit(vector: dict[str, float]) -> dict[str, float]:
    length = math.sqrt(sum(value * value for value in vector.values()))
    return {key: value / length for key, value in vector.items()} if length else {}


class NgramModel:
    """Nearest-centroid TF-IDF over character pieces; build once, call often.

    `phrases` maps each intent to normalised example phrasings.
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]]) -> None:
        counted: list[tuple[str, dict[str, int]]] = [
            (intent, found)
            for intent, texts in phrases.items()
            for text in texts
            if (found := pieces(text))
        ]
        document_frequency: Counter[str] = Counter()
        for _, found in counted:
            document_frequency.update(found.keys())
        total = 1 + len(counted)
        self._idf = {p: math.log(total / (1 + n)) + 1 for p, n in document_frequency.items()}
        sums: dict[str, dict[str, float]] = {}
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._phrase_intent = tuple(intent for intent, _ in counted)
        for number, (intent, found) in enumerate(counted):
            summed = sums.setdefault(intent, {})
            for piece, value in self._vector(found).items():
                summed[piece] = summed.get(piece, 0.0) + value
                if document_frequency[piece] <= MAX_POSTINGS:
                    postings[piece].append((number, value))
        # Both indexes hold each value times its piece's IDF already: a message's own vector
        # is then its pieces' counts (mostly 1), scaled once at the end (`scores`).
        self._postings = {
            piece: tuple((number, self._idf[piece] * value) for number, value in found)
            for piece, found in postings.items()
        }
        self.intents = tuple(sums)
        rows: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(self.intents))
        for column, summed in enumerate(sums.values()):
            for piece, value in _unit(summed).items():
                rows[piece][column] = self._idf[piece] * value
        self._centroids = {piece: tuple(row) for piece, row in rows.items()}

    def _vector(self, found: Mapping[str, int]) -> dict[str, float]:
        idf = self._idf
        return _unit(
            {
                p: (idf[p] if n == 1 else (1 + math.log(n)) * idf[p])
                for p, n in found.items()
                if p in idf
            }
        )

    def scores(self, text: str) -> dict[str, float]:
        """Per intent, the cosine (0..1) between `text` and the intent's phrases; only
        intents sharing at least one piece with `text` appear."""
        idf, centroids, postings = self._idf, self._centroids, self._postings
        rows: list[tuple[float, ...]] = []
        phrase: dict[int, float] = defaultdict(float)
        square_length = 0.0
        for piece, count in pieces(text).items():
            if piece not in idf:
                continue
            row = centroids[piece]
            if count == 1:
                square_length += idf[piece] * idf[piece]
                rows.append(row)
                for number, value in postings.get(piece, ()):
                    phrase[number] += value
            else:
                tf = 1 + math.log(count)
                square_length += (tf * idf[piece]) ** 2
                rows.append(tuple(tf * value for value in row))
                for number, value in postings.get(piece, ()):
                    phrase[number] += tf * value
        if not rows:
            return {}
        # Summed column by column (C loops): per intent, the dot product with its centroid.
        length = math.sqrt(square_length)
        nearest = dict.fromkeys(self.intents, 0.0)
        for number, value in phrase.items():
            intent = self._phrase_intent[number]
            if value > nearest[intent]:
                nearest[intent] = value
        return {
            intent: (CENTROID_SHARE * dot + (1 - CENTROID_SHARE) * nearest[intent]) / length
            for intent, dot in zip(self.intents, map(sum, zip(*rows, strict=True)), strict=True)
            if dot > 0
        }
