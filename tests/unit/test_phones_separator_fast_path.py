"""``normalize_phone``'s fast path for digits with separators only ("(11) 98765-4321")
gives exactly what the full cleaning (``_clean``) gives: the same E.164 or the same
refusal, for the shapes spreadsheets hold and for random mixes of separators, dots,
signs, letters and Unicode digits and spaces."""

from __future__ import annotations

import random

import pytest

from clickpro.services.contacts import phones


def _full_path(raw: str, mobile_only: bool) -> tuple:
    try:
        digits, plus = phones._clean(raw)
        return ("ok", phones._from_br_digits(digits, plus, mobile_only))
    except phones.InvalidPhone as exc:
        return ("refused", exc.reason_code, exc.message)


def _normalized(raw: str, mobile_only: bool) -> tuple:
    try:
        return ("ok", phones.normalize_phone(raw, "BR", mobile_only=mobile_only))
    except phones.InvalidPhone as exc:
        return ("refused", exc.reason_code, exc.message)


def _cells(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "0123456789  ()-.+/_\t\u00a0\u2013x,eE٣²\x0b"
    cells = [
        "(11) 98765-4321",
        "11 8765-4321",
        "055 11 98765-4321",
        "11987654321.0",
        "+55 (11) 98765-4321",
        "\x0b11987654321",
        "11 98765 4321\u2028",
        "",
        " ",
    ]
    for _ in range(count):
        cells.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16))))
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(6, 15)))
        cells.append(
            rng.choice(["", " ", "(", "\u00a0", "\x0b", "+", "0"])
            + digits[:2]
            + rng.choice([" ", "-", ") ", "", ".", "\u2013"])
            + digits[2:]
            + rng.choice(["", " ", "\t", "\x0b", ".0"])
        )
    return cells


@pytest.mark.parametrize("mobile_only", [False, True])
def test_separator_fast_path_agrees_with_the_full_cleaning(app, mobile_only):
    with app.app_context():
        for cell in _cells(5000, seed=24):
            assert _normalized(cell, mobile_only) == _full_path(cell, mobile_only), repr(cell)
