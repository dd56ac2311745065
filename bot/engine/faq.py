"""What the engine knows of the FAQ at one moment: the entries and the intent
classifier built from their phrasings (`bot.services.faq.FaqCache` keeps the
current one)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.faq import Faq
from bot.language.intents import Classification, IntentClassifier, Tuning, build_classifier


@dataclass(frozen=True, slots=True)
class FaqSnapshot:
    """The entries of one moment and the classifier built for them; immutable, shareable."""

    entries: tuple[Faq, ...]
    classifier: IntentClassifier

    def classify(self, text: str) -> Classification:
        return self.classifier.classify(text)

    def get(self, faq_id: str) -> Faq | None:
        return next((entry for entry in self.entries if entry.id == faq_id), None)


def snapshot(entries: Iterable[Faq], tuning: Tuning | None = None) -> FaqSnapshot:
    """Precompute the classifier for `entries` (milliseconds; do it once per change)."""
    kept = tuple(entries)
    classifier = build_classifier({entry.id: entry.phrases() for entry in kept}, tuning)
    return FaqSnapshot(entries=kept, classifier=classifier)
