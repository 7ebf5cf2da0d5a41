"""Phone normalisation: every input shape the importer sees, plus WhatsApp id helpers."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clickpro.services.contacts.phones import (
    InvalidPhone,
    brazil_variants,
    e164_to_wa,
    normalize_phone,
    wa_id_to_e164,
)

MOBILE = "+5511987654321"


@pytest.mark.parametrize(
    "raw",
    [
        "(11) 98765-4321",
        "11987654321",
        "11 98765-4321",
        "+55 11 98765-4321",
        "+55 (11) 9 8765-4321",
        "+5511987654321",
        "055 11 98765-4321",
        "05511987654321",
        "0xx11 98765-4321",
        "0XX11987654321",
        "0 xx 11 98765 4321",
        "011 98765-4321",
        "0 21 11 98765-4321",  # 0 + carrier code (Claro) + DDD
        "0055 11 98765-4321",
        "5511987654321",
        "55 11 98765-4321",
        "11 8765-4321",  # old 8-digit mobile
        "1187654321",
        "+55 11 8765-4321",
        "551187654321",
        "  11\u00a098765\u00a04321  ",
        "11.98765.4321",
        "11-98765-4321",
        "11\t98765-4321\n",
        "11 98765\u20114321",
        5511987654321,
        11987654321,
        5.511987654321e12,
        11987654321.0,
        "5.511987654321E+12",
        "5,511987654321E+12",
        "11987654321.0",
        "5511987654321,00",
        "+55 (011) 98765-4321",
        "55 (011) 98765-4321",
    ],
)
def test_br_mobile_formats(raw: object) -> None:
    assert normalize_phone(raw) == MOBILE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11 3456-7890", "+551134567890"),
        ("(21) 2345-6789", "+552123456789"),
        ("+55 51 5432-1098", "+555154321098"),
        ("(55) 98765-4321", "+5555987654321"),  # DDD 55 is Santa Maria/RS
        ("(55) 8765-4321", "+5555987654321"),
        ("(47) 6123-4567", "+5547961234567"),  # 6-9 start = old mobile
        ("(47) 7123-4567", "+5547971234567"),
    ],
)
def test_br_other_numbers(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_landline_rejected_when_mobile_only() -> None:
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone("(11) 3456-7890", mobile_only=True)
    assert exc.value.reason_code == "landline"
    assert exc.value.message == "Número de telefone fixo (somente celulares aceitos)"
    assert str(exc.value) == exc.value.message
    assert normalize_phone("11 8765-4321", mobile_only=True) == MOBILE


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u00a0", "empty"),
        ("-", "empty"),
        (None, "empty"),
        ("abc", "invalid_chars"),
        ("11 98765-4321 ramal 2", "invalid_chars"),
        ("tel: 11987654321", "invalid_chars"),
        ("11 98765-432l", "invalid_chars"),
        ("١١٩٨٧٦٥٤٣٢١", "invalid_chars"),  # Arabic-Indic digits: isdigit() but not ASCII
        ("12345", "too_short"),
        ("98765-4321", "missing_ddd"),
        ("8765-4321", "missing_ddd"),
        ("119876543210000", "too_long"),
        ("10 98765-4321", "invalid_ddd"),
        ("20 98765-4321", "invalid_ddd"),
        ("11 1234-5678", "invalid"),  # 8 digits starting with 1
        ("11 0234-5678", "invalid"),
        ("11 88765-4321", "invalid"),  # 9 digits not starting with 9
        ("+55 11 98765-43", "too_short"),
        ("5,51199E+12", "scientific_notation"),  # Excel display lost digits
        ("+999 1234 5678", "invalid"),
        ("+1 123 456 7890", "invalid"),
        (0, "invalid"),
        (-11987654321, "invalid"),
        (True, "invalid"),
        (1.5, "invalid"),
        (float("nan"), "invalid"),
        (float("inf"), "invalid"),
        ([], "invalid"),
    ],
)
def test_garbage_rejected(raw: object, code: str) -> None:
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone(raw)  # type: ignore[arg-type]
    assert exc.value.reason_code == code
    assert exc.value.message  # pt_BR text for the import report


def test_short_forms_read_as_brazilian_prefixes() -> None:
    # "01 98765-4321" is 0 + DDD 19 + an old 8-digit mobile, not garbage.
    assert normalize_phone("01 98765-4321") == "+5519987654321"
    assert normalize_phone("+55 11 98765-432") == "+5511998765432"


def test_invalid_phone_pickles() -> None:
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone("abc")
    copy = pickle.loads(pickle.dumps(exc.value))
    assert (copy.reason_code, copy.message) == ("invalid_chars", exc.value.message)


def test_invalid_phone_is_value_error() -> None:
    with pytest.raises(ValueError, match="Número inválido para a região BR"):
        normalize_phone("11 1234-5678")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 650 253 0000", "BR", "+16502530000"),
        ("+351 912 345 678", "BR", "+351912345678"),
        ("351912345678", "BR", "+351912345678"),  # foreign number without '+'
        ("00351 912 345 678", "BR", "+351912345678"),
        ("912 345 678", "PT", "+351912345678"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("+55 11 8765-4321", "PT", MOBILE),  # BR rules apply whatever the default region
        ("+44 20 7946 0958", "BR", "+442079460958"),
    ],
)
def test_foreign_numbers(raw: str, region: str, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


def test_foreign_landline_rejected_when_mobile_only() -> None:
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone("+44 20 7946 0958", mobile_only=True)
    assert exc.value.reason_code == "landline"
    assert normalize_phone("+351 912 345 678", mobile_only=True) == "+351912345678"


def test_brazil_variants() -> None:
    both = ["+5511987654321", "+551187654321"]
    assert brazil_variants("+5511987654321") == both
    assert brazil_variants("+551187654321") == both
    assert brazil_variants("+551134567890") == ["+551134567890"]  # landline
    assert brazil_variants("+5511912345678") == ["+5511912345678"]  # never had an 8-digit form
    assert brazil_variants("+16502530000") == ["+16502530000"]


@pytest.mark.parametrize(
    ("wa_id", "expected"),
    [
        ("551187654321", MOBILE),
        ("5511987654321", MOBILE),
        ("551130000000", "+551130000000"),
        ("16502530000", "+16502530000"),
        ("+5511987654321", MOBILE),
    ],
)
def test_wa_id_to_e164(wa_id: str, expected: str) -> None:
    assert wa_id_to_e164(wa_id) == expected


def test_wa_id_unknown_to_metadata_is_trusted() -> None:
    assert wa_id_to_e164("99912345678") == "+99912345678"
    with pytest.raises(InvalidPhone):
        wa_id_to_e164("abc")
    with pytest.raises(InvalidPhone):
        wa_id_to_e164("123")


def test_e164_to_wa() -> None:
    assert e164_to_wa(MOBILE) == "5511987654321"
    with pytest.raises(InvalidPhone):
        e164_to_wa("+55 11 9")


def test_inbound_old_form_matches_imported_contact() -> None:
    """An imported '(11) 98765-4321' and an inbound wa_id '551187654321' are one contact."""
    imported = normalize_phone("(11) 98765-4321")
    inbound = wa_id_to_e164("551187654321")
    assert inbound == imported
    assert "+551187654321" in brazil_variants(imported)


_ddd = st.sampled_from(["11", "21", "31", "47", "55", "61", "71", "85", "91", "99"])
_mobile8 = st.from_regex(r"[6-9][0-9]{7}", fullmatch=True)
_mobile9 = st.from_regex(r"9[0-9]{8}", fullmatch=True)
_landline = st.from_regex(r"[2-5][0-9]{7}", fullmatch=True)
_decorations = st.sampled_from(
    [
        "{d}{n}",
        "({d}) {n}",
        "+55 {d} {n}",
        "55{d}{n}",
        "0{d} {n}",
        "0xx{d}{n}",
        "055 {d} {n}",
        " {d}\u00a0{n} ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(ddd=_ddd, number=st.one_of(_mobile8, _mobile9, _landline), fmt=_decorations)
def test_normalize_is_idempotent_and_canonical(ddd: str, number: str, fmt: str) -> None:
    e164 = normalize_phone(fmt.format(d=ddd, n=number))
    assert normalize_phone(e164) == e164
    assert normalize_phone(e164_to_wa(e164)) == e164
    assert wa_id_to_e164(e164_to_wa(e164)) == e164
    assert e164.startswith("+55" + ddd)
    national = e164[5:]
    assert (len(national) == 9 and national[0] == "9") or (
        len(national) == 8 and national[0] in "2345"
    )
    for variant in brazil_variants(e164):
        assert normalize_phone(variant) == e164


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 +-().x\u00a0", max_size=20))
def test_any_text_normalizes_idempotently_or_raises(raw: str) -> None:
    try:
        e164 = normalize_phone(raw)
    except InvalidPhone as exc:
        assert exc.reason_code and exc.message
        return
    assert e164.startswith("+") and e164[1:].isdigit()
    assert normalize_phone(e164) == e164
