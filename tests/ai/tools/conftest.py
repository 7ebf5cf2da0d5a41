from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tool_receiver import ORDER_SCHEMA, Receiver  # noqa: E402

from clickpro.services.ai.tool_store import ToolInput, create_tool  # noqa: E402


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def local_tools(app):
    """The test endpoints live on 127.0.0.1: allow private addresses (as an operator of
    an on-premises install would)."""
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    return app


@pytest.fixture
def make_tool(local_tools, receiver):
    def _make(tenant, **fields):
        data = {
            "name": "consultar_pedido",
            "description": "Consultar o status de um pedido pelo número do pedido",
            "parameters": ORDER_SCHEMA,
            "url": receiver.url(),
            "timeout_s": "2",
            "enabled": True,
        } | fields
        return create_tool(tenant.id, ToolInput(**data))

    return _make
