"""The importer's hand-written Brazilian path of ``normalize_phone`` agrees with
``phonenumbers`` on a wide sample.

``normalize_phone`` never calls ``phonenumbers`` for a Brazilian number (it is ~20x
slower and runs once per spreadsheet row). This proves the fast path gives the same
E.164 — or the same refusal — as a reference built on ``phonenumbers`` for every DDD
00–99, every first digit, 8- and 9-digit subscriber numbers and the shapes people type
(``+55``, ``55``, ``0DD``, ``0`` + carrier code, ``0xx``, ``00 55``, separators).

The reference adds the two rules the product has on top of ``phonenumbers``, and the
divergences are listed (and pinned) instead of hidden:

* the 9th digit: a 10-digit national number starting 6–9 is an old mobile and comes out
  with the 9 (``phonenumbers`` refuses it, or for a 7 reads it as a radio/Nextel number);
* ``0055 …``: people mean 00 + country code 55; ``phonenumbers`` reads Brazil's
  international prefix 00 + *carrier* 55 and then finds no country code 11–99;
* only mobiles and landlines: toll-free and shared-cost numbers (0800, 4004…) cannot be
  WhatsApp contacts and are refused.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest

from clickpro.services.contacts.phones import InvalidPhone, normalize_phone

_KINDS = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
CARRIERS = ("12", "14", "15", "21", "23", "31", "41", "43")  # phonenumbers' BR list, in part


def reference(raw: str, *, mobile_only: bool = False) -> str | None:
    """What ``phonenumbers`` makes of ``raw`` (Brazil as the default region), plus the
    9th-digit upgrade; ``None`` when it is not a Brazilian mobile or landline."""
    text = raw.replace("0xx", "0").replace("0XX", "0")  # the written carrier placeholder
    if text.startswith("0055"):
        text = "+55" + text[4:]  # 00 + country code (see the module docstring)
    try:
        parsed = phonenumbers.parse(text, "BR")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 55 or parsed.italian_leading_zero:
        return None
    national = str(parsed.national_number)
    if len(national) == 10 and national[2] in "6789":
        national = national[:2] + "9" + national[2:]  # old 8-digit mobile
    number = phonenumbers.parse("+55" + national)
    if not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if kind not in _KINDS:
        return None
    if mobile_only and kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fast(raw: str, *, mobile_only: bool = False) -> str | None:
    try:
        return normalize_phone(raw, "BR", mobile_only=mobile_only)
    except InvalidPhone:
        return None


def shapes(ddd: str, subscriber: str) -> list[str]:
    """The ways spreadsheets write DDD + subscriber."""
    half = len(subscriber) - 4
    dashed = f"{subscriber[:half]}-{subscriber[half:]}"
    carrier = CARRIERS[int(subscriber[-1]) % len(CARRIERS)]
    return [
        f"{ddd}{subscriber}",
        f"({ddd}) {dashed}",
        f"{ddd} {dashed}",
        f"{ddd}.{subscriber[:half]}.{subscriber[half:]}",
        f"+55{ddd}{subscriber}",
        f"+55 ({ddd}) {dashed}",
        f"+55 (0{ddd}) {dashed}",
        f"55{ddd}{subscriber}",
        f"55 {ddd} {dashed}",
        f"0{ddd}{subscriber}",
        f"(0{ddd}) {dashed}",
        f"0 {carrier} {ddd} {dashed}",
        f"0{carrier}{ddd}{subscriber}",
        f"0xx{ddd} {dashed}",
        f"0XX{ddd}{subscriber}",
        f"0055 {ddd} {dashed}",
        f"055 {ddd} {dashed}",
    ]


def sample(seed: int = 24, per_prefix: int = 2) -> list[str]:
    """Every DDD 10–99 × every first digit × 8/9-digit subscribers × every shape."""
    rng = random.Random(seed)
    out: list[str] = []
    for ddd in range(10, 100):
        for first in "0123456789":
            for length in (8, 9):
                for _ in range(per_prefix):
                    subscriber = first + "".join(
                        rng.choice("0123456789") for _ in range(length - 1)
                    )
                    out.extend(shapes(str(ddd), subscriber))
    return out


SAMPLE = sample()


def _diverges_by_design(raw: str, ref: str | None, got: str | None) -> bool:
    """The 7-prefixed 10-digit numbers: phonenumbers keeps them as 10-digit mobiles
    (Nextel radio), the product upgrades them like every 8-digit mobile."""
    if ref is None or got is None:
        return False
    return len(ref) == 13 and ref[5] == "7" and got == ref[:5] + "9" + ref[5:]


def test_the_sample_is_wide() -> None:
    assert len(SAMPLE) > 50_000
    accepted = sum(1 for raw in SAMPLE if fast(raw) is not None)
    # both readings matter: many valid numbers and many refusals (bad DDDs, 0/1 first digits)
    assert 0.2 < accepted / len(SAMPLE) < 0.8


@pytest.mark.parametrize("mobile_only", [False, True])
def test_fast_path_equals_phonenumbers(mobile_only: bool) -> None:
    mismatches = []
    for raw in SAMPLE:
        ref, got = reference(raw, mobile_only=mobile_only), fast(raw, mobile_only=mobile_only)
        if ref != got and not _diverges_by_design(raw, ref, got):
            mismatches.append((raw, ref, got))
    assert mismatches == [], mismatches[:20]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(11) 98765-4321", "+5511987654321"),  # mobile
        ("(11) 3333-4444", "+551133334444"),  # landline
        ("11 8765-4321", "+5511987654321"),  # no 9th digit
        ("+55 21 7654-3210", "+5521976543210"),  # 7: upgraded (phonenumbers: Nextel)
        ("+55 (011) 98765-4321", "+5511987654321"),
        ("0 21 11 98765-4321", "+5511987654321"),  # operator code 21
        ("0xx11 3333-4444", "+551133334444"),
        ("0055 11 98765-4321", "+5511987654321"),
        ("0800 123 4567", None),  # toll-free: not a WhatsApp contact
        ("4004-1234", None),  # shared cost, no DDD
        ("(20) 98765-4321", None),  # DDD 20 does not exist
        ("(11) 1234-5678", None),  # landlines start 2–5
        ("(11) 8765-43210", None),  # 11 digits must start with 9
        ("98765-4321", None),  # no DDD
    ],
)
def test_named_cases(raw: str, expected: str | None) -> None:
    assert fast(raw) == expected
    if expected is not None and not raw.startswith("+55 21 7"):
        assert reference(raw) == expected


def test_fast_path_is_much_faster() -> None:
    """The reason it exists: per-row cost in a million-row import."""
    import time

    rows = SAMPLE[:20_000]
    started = time.perf_counter()
    for raw in rows:
        fast(raw)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for raw in rows:
        reference(raw)
    theirs = time.perf_counter() - started
    assert ours * 3 < theirs
