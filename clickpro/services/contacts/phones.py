"""Phone number normalisation to E.164, tuned for Brazilian spreadsheets and WhatsApp ids.

Brazilian numbers are handled by hand (no ``phonenumbers`` call) because the importer
runs ~1M rows/min and the Brazilian rules are simple: a two-digit area code (DDD)
followed by a 9-digit mobile (``9XXXX-XXXX``) or an 8-digit landline (``[2-5]XXX-XXXX``).
Old 8-digit mobiles (``[6-9]XXX-XXXX``) are upgraded to the canonical 9-digit form.
Every other country goes through ``phonenumbers``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from flask_babel import gettext as _

from clickpro.errors import ServiceError

__all__ = [
    "InvalidPhone",
    "brazil_variants",
    "e164_to_wa",
    "normalize_phone",
    "wa_id_to_e164",
]

# DDDs in use (ANATEL); same set as phonenumbers' BR metadata.
_BR_DDDS = frozenset(
    str(ddd)
    for ddd in (
        *range(11, 20),
        21,
        22,
        24,
        27,
        28,
        31,
        32,
        33,
        34,
        35,
        37,
        38,
        *range(41, 50),
        51,
        53,
        54,
        55,
        *range(61, 70),
        71,
        73,
        74,
        75,
        77,
        79,
        *range(81, 90),
        *range(91, 100),
    )
)
_OLD_MOBILE_FIRST = frozenset("6789")
_LANDLINE_FIRST = frozenset("2345")

# Characters people (and Excel) put around digits; removed before parsing.
_SEPARATORS = str.maketrans(
    "", "", " \t\r\n\u00a0\u2007\u202f\u2009()-.\u2010\u2011\u2012\u2013\u2014\u2212/_"
)
_SCIENTIFIC = re.compile(r"^\s*\+?(\d)[.,](\d+)[eE]\+?(\d{1,2})\s*$")
_TRAILING_ZERO_DECIMAL = re.compile(r"^\s*(\+?\d{8,})[.,]0+\s*$")
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class InvalidPhone(ServiceError, ValueError):
    """A value that cannot be turned into a valid phone number.

    ``reason_code`` is stable (for counting/filtering import errors); ``message`` is pt_BR.
    """

    field = "phone"

    def __init__(self, reason_code: str, message: str) -> None:
        ServiceError.__init__(self, message)
        self.reason_code = reason_code

    def __reduce__(self) -> tuple[type[InvalidPhone], tuple[str, str]]:
        # Keeps the exception picklable (multiprocessing, job queues).
        return (type(self), (self.reason_code, self.message))


def _invalid(reason_code: str, message: str) -> InvalidPhone:
    return InvalidPhone(reason_code, message)


def normalize_phone(
    raw: str | int | float, default_region: str = "BR", *, mobile_only: bool = False
) -> str:
    """Return ``raw`` as E.164 (``"+5511987654321"``) or raise :class:`InvalidPhone`.

    Brazilian mobiles always come out in the 9-digit form. ``mobile_only`` rejects
    landlines (WhatsApp campaigns usually target mobiles only).
    """
    # Fast paths: the most common shapes in spreadsheets, plain ASCII digits, or digits
    # with separators only ("(11) 98765-4321"): what _clean would return, without its
    # steps (a '.' may be Excel's "11987654321.0", so it takes the full path).
    if type(raw) is str:
        if raw.isdigit() and raw.isascii():
            digits, plus = raw, False
        elif "." not in raw and (bare := raw.translate(_SEPARATORS)).isdigit() and bare.isascii():
            digits, plus = bare, False
        else:
            digits, plus = _clean(raw)
    else:
        digits, plus = _clean(raw)
    if default_region == "BR" or (plus and digits.startswith("55")):
        return _from_br_digits(digits, plus, mobile_only)
    return _via_phonenumbers(("+" + digits) if plus else digits, default_region, mobile_only)


def _clean(raw: str | int | float) -> tuple[str, bool]:
    """Turn any accepted input into (ascii digits, had a leading '+')."""
    if isinstance(raw, bool):
        raise _invalid("invalid", _("Número inválido"))
    if isinstance(raw, int):
        if raw <= 0:
            raise _invalid("invalid", _("Número inválido"))
        return str(raw), False
    if isinstance(raw, float):
        return _float_digits(raw), False
    if raw is None:
        raise _invalid("empty", _("Vazio"))
    if not isinstance(raw, str):
        raise _invalid("invalid", _("Número inválido"))
    text = raw.strip()
    if not text:
        raise _invalid("empty", _("Vazio"))
    text = _expand_excel_number(text)
    text = text.translate(_SEPARATORS)
    plus = text.startswith("+")
    if plus:
        text = text[1:]
    if "x" in text or "X" in text:
        # "0xx11 …": the written placeholder for the (carrier) long-distance prefix.
        lowered = text.lower()
        if lowered.startswith("0xx"):
            text = "0" + lowered[3:]
    if not (text.isdigit() and text.isascii()):
        if not text:
            raise _invalid("empty", _("Vazio"))
        raise _invalid("invalid_chars", _("Número contém caracteres inválidos"))
    return text, plus


def _float_digits(value: float) -> str:
    """Excel stores numbers typed in a cell as floats: 5.511987654321E+12 -> '5511987654321'."""
    if not math.isfinite(value) or not value.is_integer() or value <= 0:
        raise _invalid("invalid", _("Número inválido"))
    return str(int(value))


def _expand_excel_number(text: str) -> str:
    """Undo Excel's number rendering in text exports ("5,511987654321E+12", "11987654321.0").

    A mantissa that does not carry every digit (Excel shows "5,51199E+12") lost digits
    for good; accepting it would message a stranger, so it is refused.
    """
    if "e" in text or "E" in text:
        match = _SCIENTIFIC.match(text)
        if match is None:
            return text
        head, tail, exponent = match.group(1), match.group(2), int(match.group(3))
        if len(tail) > exponent:
            raise _invalid("invalid", _("Número inválido"))
        if len(tail) < exponent:
            raise _invalid(
                "scientific_notation",
                _("Número em notação científica perdeu dígitos (formate a coluna como texto)"),
            )
        try:
            return str(int(Decimal(f"{head}.{tail}e{exponent}")))
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            raise _invalid("invalid", _("Número inválido")) from None
    if "." in text or "," in text:
        match = _TRAILING_ZERO_DECIMAL.match(text)
        if match is not None:
            return match.group(1)
    return text


def _from_br_digits(digits: str, plus: bool, mobile_only: bool) -> str:
    """Resolve prefixes (country code, 0, 0 + carrier, 00) to a Brazilian national number."""
    if plus:
        if digits.startswith("55"):
            return _br_national(_drop_trunk_zero(digits[2:]), mobile_only)
        return _via_phonenumbers("+" + digits, "BR", mobile_only)
    n = len(digits)
    if digits.startswith("00"):
        return _international_after_00(digits[2:], mobile_only)
    if digits.startswith("0"):
        rest = digits[1:]
        if len(rest) in (10, 11):  # 0 + DDD + number ("011 98765-4321", "0xx11…")
            return _br_national(rest, mobile_only)
        if len(rest) in (12, 13):  # 0 + 55 or 0 + carrier code, then DDD + number
            return _br_national(rest[2:], mobile_only)
        raise _length_error(len(rest))
    if n in (10, 11):
        return _br_national(digits, mobile_only)
    if n == 14 and digits.startswith("550"):  # "55 (011) 98765-4321"
        return _br_national(digits[3:], mobile_only)
    if n in (12, 13):
        if digits.startswith("55"):
            return _br_national(digits[2:], mobile_only)
        # Not Brazilian in any reading: maybe a foreign number written without '+'.
        return _via_phonenumbers("+" + digits, "BR", mobile_only)
    if n in (8, 9):
        raise _invalid("missing_ddd", _("Número sem DDD"))
    raise _length_error(n)


def _drop_trunk_zero(national: str) -> str:
    """ "+55 (011) 98765-4321": the old habit of writing the trunk 0 with the DDD."""
    if national.startswith("0") and len(national) in (11, 12):
        return national[1:]
    return national


def _length_error(n: int) -> InvalidPhone:
    if n < 10:
        return _invalid(
            "too_short",
            _("Número curto demais: use DDD + número, 10 ou 11 dígitos (tem %(n)s).", n=n),
        )
    return _invalid(
        "too_long", _("Número longo demais: use DDD + número, 10 ou 11 dígitos (tem %(n)s).", n=n)
    )


def _international_after_00(rest: str, mobile_only: bool) -> str:
    """'00' + country code (European habit) or '00' + carrier + country code (Brazil)."""
    if rest.startswith("55") and len(rest) in (12, 13):
        return _br_national(rest[2:], mobile_only)
    try:
        return _via_phonenumbers("+" + rest, "BR", mobile_only)
    except InvalidPhone:
        if len(rest) > 2:
            return _from_br_digits(rest[2:], True, mobile_only)
        raise


def _br_national(national: str, mobile_only: bool) -> str:
    """DDD + subscriber number -> E.164, upgrading old 8-digit mobiles."""
    n = len(national)
    if n not in (10, 11):
        raise _length_error(n)
    if national[:2] not in _BR_DDDS:
        raise _invalid(
            "invalid_ddd", _("DDD inválido: %(ddd)s não é um DDD do Brasil.", ddd=national[:2])
        )
    first = national[2]
    if n == 11:
        if first != "9":
            raise _invalid(
                "invalid",
                _("Número inválido para a região BR: com 11 dígitos, o celular começa com 9."),
            )
        return "+55" + national
    if first in _OLD_MOBILE_FIRST:
        return "+55" + national[:2] + "9" + national[2:]
    if first in _LANDLINE_FIRST:
        if mobile_only:
            raise _invalid("landline", _("Número de telefone fixo (somente celulares aceitos)"))
        return "+55" + national
    raise _invalid(
        "invalid",
        _(
            "Número inválido para a região BR: depois do DDD, o fixo começa com 2 a 5 e o "
            "celular com 9."
        ),
    )


def _via_phonenumbers(text: str, region: str, mobile_only: bool) -> str:
    """Slow path for non-Brazilian numbers."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise _invalid(
            "invalid", _("Número inválido para a região %(region)s", region=region)
        ) from None
    if number.country_code == 55:
        return _br_national(str(number.national_number), mobile_only)
    if not phonenumbers.is_valid_number(number):
        region_code = phonenumbers.region_code_for_number(number) or region
        raise _invalid(
            "invalid", _("Número inválido para a região %(region_code)s", region_code=region_code)
        )
    if mobile_only and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise _invalid("landline", _("Número de telefone fixo (somente celulares aceitos)"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def brazil_variants(e164: str) -> list[str]:
    """Both forms a Brazilian mobile can take on WhatsApp, canonical (9-digit) first.

    ``"+5511987654321"`` and ``"+551187654321"`` both give
    ``["+5511987654321", "+551187654321"]``. Landlines, 9-digit numbers whose old form
    would not be a mobile, and non-Brazilian numbers give ``[e164]``.
    """
    if not e164.startswith("+55"):
        return [e164]
    national = e164[3:]
    if len(national) == 11 and national[2] == "9" and national[3] in _OLD_MOBILE_FIRST:
        return [e164, "+55" + national[:2] + national[3:]]
    if len(national) == 10 and national[2] in _OLD_MOBILE_FIRST:
        return ["+55" + national[:2] + "9" + national[2:], e164]
    return [e164]


def wa_id_to_e164(wa_id: str) -> str:
    """Meta's ``wa_id`` (digits, Brazilian ones maybe without the 9th digit) -> E.164.

    Meta is the authority on what exists, so a well-formed id that our rules (or the
    phonenumbers metadata) do not know is kept as ``"+" + digits`` instead of refused.
    """
    digits = str(wa_id).strip().lstrip("+")
    if not (digits.isdigit() and digits.isascii()) or not 8 <= len(digits) <= 15:
        raise _invalid("invalid", _("wa_id inválido"))
    try:
        return normalize_phone("+" + digits)
    except InvalidPhone:
        return "+" + digits


def e164_to_wa(e164: str) -> str:
    """E.164 -> the digits the Cloud API expects in ``to``."""
    digits = e164[1:] if e164.startswith("+") else e164
    if not (digits.isdigit() and digits.isascii()):
        raise _invalid("invalid", _("Número E.164 inválido"))
    return digits
