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
  phrase a wording only one of them has. Both go through indexes piece →
  intents and piece → phrases, so only the pieces the message has are
  visited.

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
        self._postings = {piece: tuple(found) for piece, found in postings.items()}
        self.intents = tuple(sums)
        index: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for intent, summed in sums.items():
            for piece, value in _unit(summed).items():
                index[piece].append((intent, value))
        self._index = {piece: tuple(found) for piece, found in index.items()}

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
        centroid: dict[str, float] = defaultdict(float)
        phrase: dict[int, float] = defaultdict(float)
        index, postings = self._index, self._postings
        for piece, weight in self._vector(pieces(text)).items():
            for intent, value in index[piece]:
                centroid[intent] += weight * value
            if piece in postings:
                for number, value in postings[piece]:
                    phrase[number] += weight * value
        nearest: dict[str, float] = defaultdict(float)
        for number, value in phrase.items():
            intent = self._phrase_intent[number]
            nearest[intent] = max(nearest[intent], value)
        return {
            i: CENTROID_SHARE * v + (1 - CENTROID_SHARE) * nearest[i] for i, v in centroid.items()
        }
