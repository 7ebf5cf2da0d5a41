"""Helpers of the outbound identity tests (imported by module name)."""

from __future__ import annotations

PNID = "100000000000011"


def sandbox_template(sandbox, name: str, category: str = "MARKETING", components=None) -> str:
    """Create and approve ``name`` in the sandbox; its Meta id."""
    account = sandbox.account_for_number(PNID)
    body, status = sandbox.templates.create(
        account,
        {"name": name, "language": "pt_BR", "category": category,
         "components": components or [{"type": "BODY", "text": "Oi!"}]},
    )  # fmt: skip
    assert status == 200, body
    sandbox.templates.set_status(body["id"], "APPROVED")
    return str(body["id"])
