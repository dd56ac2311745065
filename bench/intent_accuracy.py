"""Intent classifier: top-1 accuracy, time per message and peak memory over the eval set.

    .venv/bin/python -m bench.intent_accuracy [--rounds N]

Builds the classifier from the shipped FAQ sample plus the built-in intents,
then classifies every line of `tests/language/data/intent_eval.tsv`: once cold (empty
typo cache, as after a start or an FAQ edit) and N more times warm. Peak
memory is measured separately under tracemalloc, which slows code down.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from bot.services.faq import load_shipped, snapshot

EVAL_SET = Path(__file__).resolve().parents[1] / "tests" / "language" / "data" / "intent_eval.tsv"


def read_eval_set() -> list[tuple[str, str]]:
    lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(text, intent) for text, intent in pairs]


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def timings(rows: list[tuple[str, str]], rounds: int) -> tuple[float, list[float], float]:
    """Build time (ms), warm per-message times (µs) and the cold pass's mean (µs)."""
    started = time.perf_counter_ns()
    classifier = snapshot(load_shipped()).classifier
    build_ms = (time.perf_counter_ns() - started) / 1e6
    cold: list[float] = []
    warm: list[float] = []
    for round_number in range(rounds + 1):
        for text, _ in rows:
            started = time.perf_counter_ns()
            classifier.classify(text)
            elapsed = (time.perf_counter_ns() - started) / 1e3
            (cold if round_number == 0 else warm).append(elapsed)
    return build_ms, warm, statistics.fmean(cold)


def peak_memory_kib(rows: list[tuple[str, str]]) -> float:
    tracemalloc.start()
    classifier = snapshot(load_shipped()).classifier
    for text, _ in rows:
        classifier.classify(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="warm passes over the set")
    args = parser.parse_args()
    rows = read_eval_set()
    classifier = snapshot(load_shipped()).classifier
    results = [(intent, classifier.classify(text)) for text, intent in rows]
    right = sum(found.intent == intent for intent, found in results)
    tiers = Counter(found.tier.value for _, found in results)
    confident_right = sum(
        found.intent == intent for intent, found in results if found.tier.value == "confident"
    )
    in_top3 = sum(
        intent in [c.intent for c in found.candidates] or found.intent == intent
        for intent, found in results
    )
    build_ms, warm, cold_mean = timings(rows, args.rounds)
    warm.sort()
    lines = [
        f"eval set           {len(rows)} messages, {len({i for _, i in rows})} intents",
        f"top-1 accuracy     {right / len(rows):.1%} ({right}/{len(rows)})",
        f"right in top 3     {in_top3 / len(rows):.1%}",
        "tiers              "
        + ", ".join(f"{tier} {count}" for tier, count in sorted(tiers.items())),
        f"confident correct  {confident_right / max(1, tiers['confident']):.1%}",
        f"build classifier   {build_ms:.1f} ms",
        f"cold pass          mean {cold_mean:.0f} µs/message (typo cache empty)",
        f"warm ({args.rounds} rounds)   mean {statistics.fmean(warm):.0f} µs, "
        f"p50 {percentile(warm, 0.5):.0f} µs, p99 {percentile(warm, 0.99):.0f} µs, "
        f"max {warm[-1]:.0f} µs",
        f"peak memory        {peak_memory_kib(rows):.0f} KiB (build + one pass, tracemalloc)",
    ]
    print("\n".join(lines))  # noqa: T201 - a benchmark prints its table


if __name__ == "__main__":
    main()
