"""The AI activity page lists the tools an answer called (from AIReplyRun.tool_calls)."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import AIReplyRun


def test_activity_shows_the_tool_calls_of_an_answer(shop, client, login_as, db):
    shop.say("Oi, tudo bem?")
    run = db.session.scalar(sa.select(AIReplyRun))
    run.tool_calls = [{"name": "consultar_pedido", "arguments": {"numero_pedido": "48213"},
                       "status": "timeout", "ms": 1003, "error": "tempo esgotado"}]  # fmt: skip
    db.session.commit()
    login_as(shop.tenant.admin, shop.tenant)
    page = client.get("/ai/activity").get_data(as_text=True)
    assert 'data-testid="ai-tool-call"' in page
    assert "consultar_pedido" in page and "48213" in page and "timeout" in page
