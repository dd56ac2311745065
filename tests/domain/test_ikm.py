"""The index of PermenPANRB 14/2017, against DOMAIN.md's worked example and the
grade intervals at their edges, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.ikm import Tally, compute, grade, tally

ELEMENTS = [f"U{n}" for n in range(1, 10)]


def test_the_worked_example() -> None:
    # 2 respondents; U1 marks 4 and 3 (NRR 3.5), U2-U9 all 3 (NRR 3.0):
    # IKM = (3.5 + 8 x 3.0) / 9 = 27.5 / 9 = 3.0556; x 25 = 76.388... -> 76.39, grade C.
    marks = {"U1": [4, 3]} | {code: [3, 3] for code in ELEMENTS[1:]}
    result = compute({code: tally(given) for code, given in marks.items()}, ELEMENTS)
    assert result.ikm == Decimal("76.39")
    assert result.grade == "C"
    assert [e.average for e in result.elements] == [Decimal("3.50")] + [Decimal("3.00")] * 8
    assert [e.answers for e in result.elements] == [2] * 9


def test_all_fours_give_exactly_100_and_all_ones_25() -> None:
    best = compute({code: Tally(4, 1) for code in ELEMENTS}, ELEMENTS)
    worst = compute({code: Tally(1, 1) for code in ELEMENTS}, ELEMENTS)
    assert (best.ikm, best.grade) == (Decimal("100.00"), "A")
    assert (worst.ikm, worst.grade) == (Decimal("25.00"), "D")


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        ("100.00", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25.00", "D"),
    ],
)
def test_grade_intervals_at_their_edges(index: str, expected: str) -> None:
    assert grade(Decimal(index)) == expected


def test_an_index_at_a_boundary_from_real_marks() -> None:
    # Nine elements, 36 answers each would be many; one element per mark is enough:
    # NRR sum 26.5 over 9 elements = 2.9444 x 25 = 73.61 (C); 28.0 -> 77.78 (B).
    c_marks = {code: Tally(3, 1) for code in ELEMENTS[:8]} | {"U9": Tally(5, 2)}
    b_marks = {code: Tally(3, 1) for code in ELEMENTS[:8]} | {"U9": Tally(4, 1)}
    assert (compute(c_marks, ELEMENTS).ikm, compute(c_marks, ELEMENTS).grade) == (
        Decimal("73.61"),
        "C",
    )
    assert (compute(b_marks, ELEMENTS).ikm, compute(b_marks, ELEMENTS).grade) == (
        Decimal("77.78"),
        "B",
    )


def test_no_answers_no_index() -> None:
    result = compute({}, ELEMENTS)
    assert (result.ikm, result.grade) == (None, None)
    assert all(e.average is None and e.answers == 0 for e in result.elements)


def test_an_element_nobody_answered_is_left_out_of_the_mean() -> None:
    result = compute({"U1": Tally(8, 2)}, ELEMENTS)  # only U1: NRR 4.0
    assert (result.ikm, result.grade) == (Decimal("100.00"), "A")
