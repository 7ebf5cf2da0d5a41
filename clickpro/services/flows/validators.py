"""Checking a customer's answer to an ask step: text, number, e-mail, CPF/CNPJ (check
digits), date (dd/mm/aaaa → ISO) and choice (button/list id, "1".."n" or the title,
accent and case ignored).

:func:`check` returns an :class:`Answer`: ``ok`` with the value to store, or the pt_BR
reason it was refused (the ask step's ``invalid_message`` wins over it when set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from clickpro.services.flows.templating import fold

MAX_ANSWER = 1000  # a longer "answer" is refused, never stored
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,24}$")
DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass
class Answer:
    ok: bool
    value: Any = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. {"<save_as>_id": choice id}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def cpf_valid(digits: str) -> bool:
    if len(digits) != 11 or digits == digits[0] * 11:
        return False
    for n in (9, 10):
        total = sum(int(digits[i]) * (n + 1 - i) for i in range(n))
        check = (total * 10) % 11 % 10
        if check != int(digits[n]):
            return False
    return True


def cnpj_valid(digits: str) -> bool:
    if len(digits) != 14 or digits == digits[0] * 14:
        return False
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    for n in (12, 13):
        w = weights if n == 12 else [6] + weights
        total = sum(int(digits[i]) * w[i] for i in range(n))
        rest = total % 11
        check = 0 if rest < 2 else 11 - rest
        if check != int(digits[n]):
            return False
    return True


def parse_number(text: str) -> Decimal | None:
    """``12``, ``12,5``, ``1.234,56``, ``1234.56``, ``R$ 10`` → Decimal."""
    raw = text.replace("R$", "").replace(" ", "").strip()
    if not re.fullmatch(r"[-+]?[\d.,]{1,30}", raw) or not re.search(r"\d", raw):
        return None
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    elif raw.count(".") > 1 or re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+", raw):
        raw = raw.replace(".", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _number(text: str, rule: dict) -> Answer:
    value = parse_number(text)
    if value is None:
        return Answer(False, reason=_("Responda com um número."))
    lo, hi = rule.get("min"), rule.get("max")
    if lo is not None and value < Decimal(str(lo)):
        return Answer(False, reason=_("O número precisa ser pelo menos %(n)s.", n=lo))
    if hi is not None and value > Decimal(str(hi)):
        return Answer(False, reason=_("O número precisa ser no máximo %(n)s.", n=hi))
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    return Answer(True, number)


def _date(text: str) -> Answer:
    match = DATE.match(text.strip())
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return Answer(True, date(year, month, day).isoformat())
        except ValueError:
            pass
    return Answer(False, reason=_("Informe a data no formato dd/mm/aaaa."))


def match_choice(choices: list[dict], text: str, reply_id: str | None) -> dict | None:
    """The choice a reply names: its id (button/list reply), its number or its title."""
    if reply_id:
        for c in choices:
            if str(c.get("id")) == reply_id:
                return c
    cleaned = fold(text)
    for c in choices:  # an id typed as is ("5" on a 5..1 scale) wins over the position
        if cleaned and cleaned == fold(c.get("id")):
            return c
    if cleaned.isdigit():
        index = int(cleaned)
        if 1 <= index <= len(choices):
            return choices[index - 1]
    for c in choices:
        if cleaned and cleaned in (fold(c.get("title")), fold(c.get("id"))):
            return c
    return None


def check(validation: dict | None, text: str | None, reply_id: str | None = None) -> Answer:
    rule = validation if isinstance(validation, dict) else {}
    kind = rule.get("kind") or "text"
    text = (text or "").strip()
    if kind == "choice":
        choices = [c for c in rule.get("choices") or [] if isinstance(c, dict)]
        chosen = match_choice(choices, text[:MAX_ANSWER], reply_id)
        if chosen is None:
            return Answer(False, reason=_("Escolha uma das opções."))
        return Answer(True, str(chosen.get("title") or ""), extra={"id": str(chosen.get("id"))})
    if not text:
        return Answer(False, reason=_("Não entendi. Pode responder com texto?"))
    if len(text) > MAX_ANSWER:
        return Answer(
            False, reason=_("Resposta longa demais (até %(n)s caracteres).", n=MAX_ANSWER)
        )
    if kind == "number":
        return _number(text, rule)
    if kind == "email":
        email = text.lower()
        if EMAIL.match(email):
            return Answer(True, email)
        return Answer(False, reason=_("Informe um e-mail válido, como nome@exemplo.com.br."))
    if kind in ("cpf", "cnpj", "cpf_cnpj"):
        digits = _digits(text)
        if kind in ("cpf", "cpf_cnpj") and cpf_valid(digits):
            return Answer(True, digits)
        if kind in ("cnpj", "cpf_cnpj") and cnpj_valid(digits):
            return Answer(True, digits)
        if kind == "cpf":
            return Answer(False, reason=_("CPF inválido. Confira os 11 números."))
        if kind == "cnpj":
            return Answer(False, reason=_("CNPJ inválido. Confira os 14 números."))
        return Answer(False, reason=_("CPF ou CNPJ inválido."))
    if kind == "date":
        return _date(text)
    return Answer(True, text)
