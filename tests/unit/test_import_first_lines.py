"""The import's table of numbers already seen (``rows.FirstLines``) answers like a dict
of ``phone → first line``, through its growths, and stays small."""

from __future__ import annotations

import random

from clickpro.services.contacts.imports.rows import FirstLines


def test_first_lines_agrees_with_a_dict_through_growth():
    rng = random.Random(24)
    table, reference = FirstLines(), {}
    # Brazilian mobiles, sequential numbers (neighbouring slots) and foreign ones.
    phones = [f"+55{rng.choice((11, 21, 98))}9{rng.randrange(10**7, 10**8)}" for _ in range(30000)]
    phones += [f"+5511{970000000 + i}" for i in range(20000)]
    phones += [f"+{rng.randrange(1, 999)}{rng.randrange(10**6, 10**12)}" for _ in range(5000)]
    phones += phones[:10000]  # repeats
    rng.shuffle(phones)
    for line, phone in enumerate(phones, start=2):
        assert table.first_line(phone, line) == reference.get(phone)
        reference.setdefault(phone, line)
    assert len(table) == len(reference)
    for phone, line in reference.items():
        assert table.first_line(phone, 10**9) == line


def test_first_lines_costs_a_few_bytes_per_number():
    table = FirstLines()
    for i in range(100000):
        table.first_line(f"+5511{970000000 + i}", i + 2)
    size = table._numbers.itemsize * len(table._numbers) + table._lines.itemsize * len(table._lines)
    assert size / len(table) < 40  # a dict[str, int] takes ~150 bytes per number


def test_a_run_of_consecutive_numbers_does_not_make_long_probe_chains():
    """Home slots by the numbers' low bits put a run of consecutive numbers in one block:
    every other number landing in it probed to the block's end (quadratic: 65k numbers
    took 12 s of CPU). The home slot is now a multiplicative hash of the number."""
    rng = random.Random(7)
    table = FirstLines()
    for i in range(20000):
        table.first_line(f"+5511{970000000 + i}", i + 2)
    for i in range(5000):
        table.first_line(f"+55119{rng.randrange(10**7, 10**8)}", i + 2)
    mask = table._mask
    distances = [
        (slot - table._home(number)) & mask for slot, number in enumerate(table._numbers) if number
    ]
    assert len(distances) == len(table)
    assert max(distances) < 100
    assert sum(distances) / len(distances) < 3
