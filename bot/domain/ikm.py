"""The satisfaction index of PermenPANRB No. 14/2017 (IKM), computed exactly.

Per element (unsur) the NRR is the sum of the marks given for it divided by
the number of answers to it; every element weighs 1/9 (the regulation prints
0.11: the exact fraction makes all-4 answers 100.00); IKM = Σ NRR x 1/9 on
1-4 and the converted index IKM x 25 on 25-100, reported with two decimals.
The grade (mutu pelayanan) follows the converted index, rounded as reported:

    A  88.31 - 100.00   Sangat Baik
    B  76.61 - 88.30    Baik
    C  65.00 - 76.60    Kurang Baik
    D  25.00 - 64.99    Tidak Baik

An element nobody answered counts as no element: the index is then over the
answered ones (weight 1/n), and None when no element has an answer. Fractions
throughout, so nothing is lost to binary floating point before the rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CONVERSION = 25
GRADES = (  # the lowest converted index of each grade, best first
    (Decimal("88.31"), "A"),
    (Decimal("76.61"), "B"),
    (Decimal("65.00"), "C"),
    (Decimal("25.00"), "D"),
)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Tally:
    """The marks given for one element: their sum and how many there are."""

    total: int
    answers: int


def tally(marks: Iterable[int]) -> Tally:
    given = list(marks)
    return Tally(sum(given), len(given))


@dataclass(frozen=True, slots=True)
class ElementScore:
    code: str
    answers: int
    average: Decimal | None  # the NRR, 1-4, two decimals; None without answers


@dataclass(frozen=True, slots=True)
class IkmResult:
    elements: tuple[ElementScore, ...]
    ikm: Decimal | None  # the converted index, 25-100, two decimals
    grade: str | None


def rounded(value: Fraction) -> Decimal:
    """`value` with two decimals, half up (as the regulation's tables round)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def grade(index: Decimal) -> str:
    """The grade of a converted index (two decimals, 25-100)."""
    for lowest, letter in GRADES:
        if index >= lowest:
            return letter
    return GRADES[-1][1]


def compute(tallies: Mapping[str, Tally], elements: Iterable[str]) -> IkmResult:
    """The index from the marks given per element code, over the survey's `elements`."""
    scores: list[ElementScore] = []
    averages: list[Fraction] = []
    for code in elements:
        given = tallies.get(code, Tally(0, 0))
        if not given.answers:
            scores.append(ElementScore(code, 0, None))
            continue
        nrr = Fraction(given.total, given.answers)
        averages.append(nrr)
        scores.append(ElementScore(code, given.answers, rounded(nrr)))
    if not averages:
        return IkmResult(tuple(scores), None, None)
    index = rounded(sum(averages, Fraction(0)) / len(averages) * CONVERSION)
    return IkmResult(tuple(scores), index, grade(index))
