"""What a citizen's free text asks for: a menu flow, help, language, an FAQ entry, or nothing.

`IntentClassifier` is built once from phrase lists — the built-in ones in
``data/intent_phrases.txt`` for the flows, navigation and chit-chat, plus the
FAQ phrasings the caller passes in — and then classifies a message in tens
of microseconds: no I/O, no database, nothing learnt at run time.

How a message is read:

1. `normalize` folds case and accents, turns punctuation into spaces,
   squeezes repeated letters ("tolonggg"), spells out chat slang and
   abbreviations from a small table in ``data/intents.txt`` ("gmn" →
   "bagaimana", "sy" → "saya", "tdk"/"gak"/"ga" → "tidak", "brp" → "berapa",
   …) and turns money
   amounts ("30rb", "Rp30.000") into one word.
2. Filler words (particles, politeness, articles) are dropped. Each
   remaining word stands for itself, its rough Indonesian or English stems
   ("pencurian", "dicuri", "kecurian" all reach "curi") and a few synonyms.
3. A word the phrase lists never use is replaced by the closest one they do
   use that starts with the same letter, when it is close enough (rapidfuzz),
   which absorbs typos (a typo rarely hits the first letter, and "window" is
   then no misspelt "indo").
4. Each intent scores how much of the message's weight its vocabulary
   explains, each word counting by how specific it is to that intent, and
   how well its single best phrase matches (weighted Dice).
5. A second reader, blind to words, scores the same message by its 3- to
   5-letter pieces against the same phrase lists (`bot.language.ngrams`):
   it places a spelling or a word form the steps above cannot. An intent's
   score mixes both (`Tuning.ngram_share`); when both readers put the same
   intent first, the classifier acts on it at once unless another is as
   close (`Tuning.agreed_margin`): two independent readings agreeing is
   worth more than one reading's margin.
6. A third reader, naive Bayes over the same word features (`NaiveBayes`),
   counts a word an intent never uses against it; its posterior shares out
   the best score (`Tuning.bayes_share`), so it may reorder the readings but
   never makes thin evidence surer.

A word right after a negation ("tidak", "jangan", "stop", …) stands for its
negated features ("jangan kirim" reads "~kirim"), in the phrase lists and in
a message alike: "gak mau terima info lagi" is no wish to receive it.

The `Classification` carries a confidence `Tier`: confident (act at once),
weak (offer the top three candidates) or none (offer the menu).
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz, process

from bot.language.letters import without_accents
from bot.language.ngrams import NgramModel
from bot.language.wordlists import pairs, sections, variant_table, word_sets

NONE = "none"
FAQ_PREFIX = "faq:"
FLOW_INTENTS = ("complaint", "incident", "status")
NAVIGATION_INTENTS = ("help", "language", "menu", "cancel")
CONVERSATION_INTENTS = ("my_cases", "thanks", "subscribe", "opt_out")
MAX_CANDIDATES = 3
TYPO_CUTOFF = 80.0  # for words of six letters and more
TYPO_SHORT_CUTOFF = 85.0  # shorter: one wrong letter (80) is another word
TYPO_MIN_CHARS = 4
TYPO_SHORT_CHARS = 5
TYPO_CACHE_SIZE = 10_000
FEATURE_CACHE_SIZE = 20_000  # words' features: the phrase lists use some 3,000 words
WORD_MEMO_SIZE = 20_000  # words' evidence (`_word_evidence`), forgotten all at once when full


class Tier(StrEnum):
    CONFIDENT = "confident"  # act on the best intent at once
    WEAK = "weak"  # offer the candidates
    NONE = "none"  # nothing fits: offer the menu


@dataclass(frozen=True, slots=True)
class Candidate:
    intent: str
    score: float  # 0..1


@dataclass(frozen=True, slots=True)
class Classification:
    tier: Tier
    candidates: tuple[Candidate, ...]  # best first, at most three, never `none`
    small_talk: bool = False  # nothing fits because it reads as chit-chat (`none`)

    @property
    def intent(self) -> str:
        """The best intent, or `none` when nothing fits well enough to act on or offer."""
        return self.candidates[0].intent if self.tier is not Tier.NONE else NONE


@dataclass(frozen=True, slots=True)
class Tuning:
    confident: float = 0.55  # the best score is at least this ...
    margin: float = 0.12  # ... and this far ahead of the runner-up: act at once
    weak: float = 0.3  # below this nothing fits
    coverage_share: float = 0.5  # the rest of a score is the best phrase's match
    unknown_weight: float = 1.0  # of a word no phrase uses, against a word all intents use
    ngram_share: float = 0.3  # of a score, the character n-gram model's cosine (`ngrams`)
    agreed_margin: float = 0.0  # both readers agree on the best: act when it is this far ahead
    agreed_floor: float = 0.4  # ... and its score is at least this (a loose remark is no wish)
    bayes_share: float = 0.1  # of a score, the naive Bayes posterior times the best score
    bayes_smoothing: float = 0.1  # added to each feature's count per intent (`NaiveBayes`)


# -- reading text ----------------------------------------------------------


_DATA = sections("intents")
SLANG = variant_table(_DATA["slang"])
PHRASE_SLANG = pairs(_DATA["phrase_slang"])
SYNONYMS = variant_table(_DATA["synonyms"])
_WORDS = word_sets(_DATA["words"])
STOPWORDS = _WORDS["stopwords"]
NEGATIONS = _WORDS["negations"]
NEGATED = "~"  # marks a negated feature: "jangan kirim" reads "jangan", "~kirim"
_LAUGHTER = re.compile(r"^(?:(?:wk)+w?|(?:ha)+h?|(?:he)+h?|(?:hi)+h?|(?:xi)+|lol|lmao)$")
_MONEY = re.compile(r"\b(?:rp\s*\d[\d.,]*|\d+(?:[.,]\d+)?\s*(?:rb|ribu|rbu|k|jt|juta))\b")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_REDUPLICATION = re.compile(r"(?<=[a-z])2\b")

# Indonesian prefixes, and the first letter that meN-/peN- swallow before a vowel
# ("menipu" ← tipu, "pengeroyokan" ← keroyok, "pemukulan" ← pukul, "penyuapan" ← suap).
_PREFIXES = (
    ("meng", "k"), ("peng", "k"), ("meny", "s"), ("peny", "s"), ("mem", "p"), ("pem", "p"),
    ("men", "t"), ("pen", "t"), ("per", ""), ("ber", ""), ("ter", ""), ("me", ""), ("pe", ""),
    ("di", ""), ("ke", ""), ("se", ""), ("ny", "s"), ("ng", ""),
)  # fmt: skip
_SUFFIXES = ("nya", "kan", "lah", "kah", "an", "in", "i")
_EN_SUFFIXES = ("ing", "ed", "es", "s")
_UNSTEMMED = _WORDS["unstemmed"]
_MIN_STEM = 3


def normalize(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with chat slang spelt out."""
    plain = without_accents(text).casefold()
    plain = _MONEY.sub(" rupiah ", _REPEATS.sub(r"\1", _REDUPLICATION.sub("", plain)))
    words = []
    for word in _NON_WORD.sub(" ", plain).split():
        words.append("haha" if _LAUGHTER.match(word) else SLANG.get(word, word))
    joined = " ".join(words)
    for slang, meaning in PHRASE_SLANG.items():
        if slang in joined:
            joined = re.sub(rf"\b{slang}\b", meaning, joined)
    return joined


def stems(word: str) -> set[str]:
    """Rough stems of `word` (itself included): enough to match on, not a dictionary.

    A suffix may be part of the stem ("dicuri" is di- + curi, not dicur + -i),
    so prefixes come off both the word and the word without its suffix.
    """
    found = {word}
    if word in _UNSTEMMED or word.isdigit():
        return found
    found.add(_strip_suffix(word, _SUFFIXES))
    found.add(_strip_suffix(word, _EN_SUFFIXES))
    for core in tuple(found):
        found |= _without_prefix(core)
    return found


def _strip_suffix(word: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) > _MIN_STEM:
            return word[: -len(suffix)]
    return word


def _without_prefix(word: str) -> set[str]:
    for prefix, swallowed in _PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= _MIN_STEM:
            return {rest, swallowed + rest} if swallowed and rest[0] in "aeiou" else {rest}
    return set()


@functools.lru_cache(maxsize=FEATURE_CACHE_SIZE)
def features(word: str) -> frozenset[str]:
    """What `word` can match: itself, its stems, and their synonyms' canonical forms."""
    found = stems(word)
    return frozenset(found | {SYNONYMS[f] for f in found if f in SYNONYMS})


def content_words(text: str) -> list[str]:
    """The words of `text` that carry meaning, normalised, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in normalize(text).split():
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


# -- the classifier --------------------------------------------------------


def _negated(words: list[frozenset[str]], said: list[str]) -> list[frozenset[str]]:
    """`words`, the features of the content words `said`, with each word right after a
    negation ("tidak mau terima", "jangan kirim") standing for its negated features only."""
    found = []
    negated = False
    for word, said_word in zip(words, said, strict=True):
        found.append(frozenset(NEGATED + f for f in word) if negated else word)
        negated = said_word in NEGATIONS
    return found


def _typo_cutoff(word: str) -> float:
    return TYPO_SHORT_CUTOFF if len(word) <= TYPO_SHORT_CHARS else TYPO_CUTOFF


class IntentClassifier:
    """Classifies free text against fixed phrase lists; build once, call often.

    `phrases` maps each intent (`complaint`, `faq:skck_fee`, …, and `none`
    for chit-chat) to example phrasings in any supported language.
    """

    def __init__(self, phrases: Mapping[str, Iterable[str]], tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        self._phrase_intent: list[str] = []
        parsed: list[list[frozenset[str]]] = []
        normalized: dict[str, list[str]] = defaultdict(list)
        for intent, found in phrases.items():
            for phrase in found:
                said = content_words(phrase)
                normalized[intent].append(" ".join(said))
                if words := _negated([features(word) for word in said], said):
                    self._phrase_intent.append(intent)
                    parsed.append(words)
        self.intents = tuple(dict.fromkeys(self._phrase_intent))
        self._ngrams = NgramModel(normalized)
        self._index_features(parsed)
        self._bayes = NaiveBayes(self._phrase_intent, parsed, self.tuning.bayes_smoothing)
        self._phrase_weight = [sum(self._weight(w) for w in words) for words in parsed]
        self._typos: dict[str, frozenset[str] | None] = {}
        self._word_memo: dict[
            frozenset[str], tuple[tuple[tuple[str, float], ...], tuple[int, ...]]
        ] = {}

    def _index_features(self, parsed: list[list[frozenset[str]]]) -> None:
        """Per feature: its weight, the phrases using it, and how specific it is to each intent."""
        phrase_count: dict[str, int] = defaultdict(int)
        for intent in self._phrase_intent:
            phrase_count[intent] += 1
        postings: dict[str, set[int]] = defaultdict(set)
        for number, words in enumerate(parsed):
            for word in words:
                for feature in word:
                    postings[feature].add(number)
        self._postings = {f: tuple(sorted(found)) for f, found in postings.items()}
        self._idf: dict[str, float] = {}
        self._affinity: dict[str, dict[str, float]] = {}
        for feature, found in postings.items():
            share: dict[str, float] = defaultdict(float)
            for number in found:
                intent = self._phrase_intent[number]
                share[intent] += 1 / math.sqrt(phrase_count[intent])
            top = max(share.values())
            self._affinity[feature] = {intent: value / top for intent, value in share.items()}
            self._idf[feature] = math.log(1 + len(self.intents) / len(share))
        self._vocabulary: dict[str, list[str]] = defaultdict(list)
        for feature in sorted(self._idf):
            self._vocabulary[feature[0]].append(feature)

    def _weight(self, word: frozenset[str]) -> float:
        known = [self._idf[f] for f in word if f in self._idf]
        return max(known) if known else self.tuning.unknown_weight

    def _spelled(self, word: str) -> frozenset[str]:
        """The features of `word`, or of the known word it misspells when it is unknown."""
        found = features(word)
        # `any`, not `found.isdisjoint(self._idf)`: a set tested against a dict walks the dict.
        if any(f in self._idf for f in found) or len(word) < TYPO_MIN_CHARS or word.isdigit():
            return found
        if word not in self._typos:
            if len(self._typos) >= TYPO_CACHE_SIZE:
                self._typos.clear()
            match = process.extractOne(
                word,
                self._vocabulary.get(word[0], ()),
                scorer=fuzz.ratio,
                score_cutoff=_typo_cutoff(word),
            )
            self._typos[word] = features(match[0]) if match else None
        return self._typos[word] or found

    def classify(self, text: str) -> Classification:
        """The intents `text` most likely expresses, best first, with a confidence tier."""
        said = content_words(text)
        words = _negated([self._spelled(word) for word in said], said)
        by_words = self._word_scores(words)
        by_pieces = self._ngrams.scores(" ".join(said))
        share, bayes = self.tuning.ngram_share, self.tuning.bayes_share
        mixed = {
            i: (1 - share) * by_words.get(i, 0.0) + share * by_pieces.get(i, 0.0)
            for i in by_words.keys() | by_pieces.keys()
        }
        # The posterior only shares out the best score among the intents: thin evidence
        # ("pelaku", "kabur") may reorder the readings but never makes one surer.
        ceiling = max(mixed.values(), default=0.0)
        by_bayes = self._bayes.posterior(words)
        scores = sorted(
            (
                ((1 - bayes) * v + bayes * ceiling * by_bayes.get(i, 0.0), i)
                for i, v in mixed.items()
            ),
            reverse=True,
        )
        agreed = bool(by_words and by_pieces) and (
            max(by_words, key=by_words.__getitem__) == max(by_pieces, key=by_pieces.__getitem__)
        )
        return self._tiered(scores, agreed)

    def _word_scores(self, words: list[frozenset[str]]) -> dict[str, float]:
        """Per intent, the word-level score: coverage of the message and best phrase match."""
        weights = [self._weight(word) for word in words]
        coverage, shared = self._evidence(words, weights)
        total = sum(weights)
        best: dict[str, float] = defaultdict(float)
        for number, weight in shared.items():
            dice = 2 * weight / (total + self._phrase_weight[number])
            intent = self._phrase_intent[number]
            best[intent] = max(best[intent], dice)
        share = self.tuning.coverage_share
        return {i: share * coverage[i] + (1 - share) * best[i] for i in coverage}

    def _evidence(
        self, words: list[frozenset[str]], weights: list[float]
    ) -> tuple[dict[str, float], dict[int, float]]:
        """Per intent, the share of the message's weight it explains; per phrase, the
        weight of the message's words it contains."""
        total = sum(weights)
        coverage: dict[str, float] = defaultdict(float)
        shared: dict[int, float] = defaultdict(float)
        for word, weight in zip(words, weights, strict=True):
            affinity, phrases = self._word_evidence(word)
            for intent, value in affinity:
                coverage[intent] += weight * value / total
            for number in phrases:
                shared[number] += weight
        return coverage, shared

    def _word_evidence(
        self, word: frozenset[str]
    ) -> tuple[tuple[tuple[str, float], ...], tuple[int, ...]]:
        """The intents a word's features point to (each with its best affinity) and the
        phrases that use any of them: the same for every message with the word, so
        remembered (citizens' words repeat; their messages less so)."""
        found = self._word_memo.get(word)
        if found is None:
            affinity: dict[str, float] = {}
            phrases: set[int] = set()
            for feature in word & self._idf.keys():
                for intent, value in self._affinity[feature].items():
                    affinity[intent] = max(affinity.get(intent, 0.0), value)
                phrases.update(self._postings[feature])
            if len(self._word_memo) >= WORD_MEMO_SIZE:
                self._word_memo.clear()
            found = self._word_memo[word] = (tuple(affinity.items()), tuple(phrases))
        return found

    def _tiered(self, scores: list[tuple[float, str]], agreed: bool) -> Classification:
        tuning = self.tuning
        if not scores or scores[0][0] < tuning.weak:
            return Classification(Tier.NONE, ())
        if scores[0][1] == NONE:
            return Classification(Tier.NONE, (), small_talk=True)
        candidates = tuple(
            Candidate(intent, round(score, 3)) for score, intent in scores if intent != NONE
        )[:MAX_CANDIDATES]
        runner_up = scores[1][0] if len(scores) > 1 else 0.0
        ahead = scores[0][0] - runner_up
        confident = scores[0][0] >= tuning.confident and ahead >= tuning.margin
        agreed_enough = agreed and scores[0][0] >= tuning.agreed_floor
        confident = confident or (agreed_enough and ahead >= tuning.agreed_margin)
        return Classification(Tier.CONFIDENT if confident else Tier.WEAK, candidates)


class NaiveBayes:
    """Multinomial naive Bayes over the same word features: per intent, how likely each
    feature is among its phrases' words (smoothed, over the mean intent's word count),
    and for a message the posterior over intents with equal priors. Unlike the coverage
    score, a word an intent never uses counts against it ("hapus ... daftar" is no wish
    to subscribe)."""

    def __init__(
        self, intents: list[str], parsed: list[list[frozenset[str]]], smoothing: float
    ) -> None:
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for intent, words in zip(intents, parsed, strict=True):
            for word in words:
                for feature in word:
                    counts[intent][feature] += 1 / len(word)
        vocabulary = {f for found in counts.values() for f in found}
        # One denominator for all: an intent of few, alike phrases ("terima kasih …")
        # would otherwise claim its words far more surely than a varied one (`none`).
        size = sum(sum(found.values()) for found in counts.values()) / max(1, len(counts))
        total = size + smoothing * len(vocabulary)
        log: dict[str, dict[str, float]] = defaultdict(dict)
        floor = math.log(smoothing / total)  # a word the intent never uses
        for intent, found in counts.items():
            for feature, count in found.items():
                log[feature][intent] = math.log((count + smoothing) / total)
        # Per feature, its log-likelihood under each intent in `_intents`' order: a word's
        # evidence is then one pass over lists, not a loop over intents.
        self._intents = tuple(counts)
        self._log = {
            feature: [by.get(intent, floor) for intent in self._intents]
            for feature, by in log.items()
        }

    def posterior(self, words: list[frozenset[str]]) -> dict[str, float]:
        """Per intent, its probability given the words (each by its likeliest feature);
        empty when no word is known."""
        logs = [0.0] * len(self._intents)
        known = False
        for word in words:
            found = [self._log[f] for f in word if f in self._log]
            if found:
                known = True
                best = found[0] if len(found) == 1 else list(map(max, *found))
                logs = list(map(operator.add, logs, best))
        if not known:
            return {}
        top = max(logs)
        weights = [math.exp(value - top) for value in logs]
        total = sum(weights)
        return {intent: w / total for intent, w in zip(self._intents, weights, strict=True)}


# -- the built-in intents --------------------------------------------------


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for line in text.strip().splitlines() for p in line.split(";"))


BUILTIN_PHRASES: Mapping[str, tuple[str, ...]] = {
    intent: _phrases(text) for intent, text in sections("intent_phrases").items()
}
"""Example phrasings of the flows, navigation and chit-chat (`none`), from
``data/intent_phrases.txt``."""


def build_classifier(
    faq_phrases: Mapping[str, Iterable[str]], tuning: Tuning | None = None
) -> IntentClassifier:
    """The classifier for the built-in intents plus FAQ entries (`faq:<id>`), keyed by entry id.

    Building one takes some 0.15 s (mostly the n-gram model), so the same phrases
    and tuning give the same classifier again: it changes only in its typo memo.
    """
    given = tuple((faq_id, tuple(found)) for faq_id, found in faq_phrases.items())
    return _classifier_for(given, tuning)


@functools.lru_cache(maxsize=8)
def _classifier_for(
    faq_phrases: tuple[tuple[str, tuple[str, ...]], ...], tuning: Tuning | None
) -> IntentClassifier:
    phrases: dict[str, Iterable[str]] = dict(BUILTIN_PHRASES)
    phrases |= {FAQ_PREFIX + faq_id: found for faq_id, found in faq_phrases}
    return IntentClassifier(phrases, tuning)
