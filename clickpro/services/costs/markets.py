"""The recipient's market (ISO 3166 alpha-2) from the country calling code of a phone.

Meta prices a message by the calling code of the recipient's number. The longest known
calling code (1 to 3 digits) is taken; +1 is priced as the United States' market and
so on for shared codes (phonenumbers' main region of each code).
"""

from __future__ import annotations

from functools import lru_cache

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

OTHER = "*"


@lru_cache(maxsize=4096)
def _market_of_prefix(prefix: str) -> str:
    for size in (1, 2, 3):
        code = prefix[:size]
        if code.isdigit() and int(code) in COUNTRY_CODE_TO_REGION_CODE:
            region = COUNTRY_CODE_TO_REGION_CODE[int(code)][0]
            return region if region != "001" else OTHER
    return OTHER


def market_of(phone: str | None) -> str:
    """``"BR"`` for ``+5511…``; ``"*"`` when no calling code is recognised."""
    text = str(phone or "")
    # Meta's recipient_id is digits already: no per-character pass (one per status).
    digits = (
        text if text.isascii() and text.isdigit() else "".join(ch for ch in text if ch.isdigit())
    )
    if not digits:
        return OTHER
    return _market_of_prefix(digits[:3])
