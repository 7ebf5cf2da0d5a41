"""Fixtures of the two-factor sign-in and audit log tests."""

from __future__ import annotations

import pytest
from security_helpers import SECRET, T0, code_at

from clickpro.services.accounts import two_factor


@pytest.fixture
def enroll(app):
    """Turn 2FA on for ``user`` with :data:`SECRET` at ``moment``; the recovery codes."""

    def _enroll(user, moment: float = T0 - 300) -> list[str]:
        return two_factor.enable(user, SECRET, code_at(moment), now=moment)

    return _enroll
