"""Fixtures of the flows runtime tests: a shop on the sandbox, a customer writing
through signed webhooks, a local HTTP endpoint, and flow builders."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from clickpro.extensions import db as _db
from clickpro.models import Conversation, FlowRun, FlowRunStep, Message, Team
from clickpro.services.flows import versions

PNID = "100000000000011"


class Endpoint:
    """A local JSON endpoint (ThreadingHTTPServer on 127.0.0.1:0) recording the bodies."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status, self.delay_s, self.reply = 200, 0.0, b'{"pedido": {"status": "enviado"}}'
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                endpoint.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                if endpoint.delay_s:
                    time.sleep(endpoint.delay_s)
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(endpoint.reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # a client gone after its timeout: no traceback on stderr
        self.server.handle_error = lambda *args: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pedido"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(app):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = True
    server = Endpoint()
    yield server
    server.close()


class Shop:
    def __init__(self, sandbox, tenant, number, phone: str) -> None:
        self.sandbox, self.tenant, self.number = sandbox, tenant, number
        self.wa_id = phone.lstrip("+")

    def say(self, text: str | None = None, message: dict | None = None) -> Message:
        sent = self.sandbox.simulate_inbound(PNID, self.wa_id, text=text, message=message,
                                             name="Maria Cliente")  # fmt: skip
        self.sandbox.flush()
        _db.session.expire_all()
        return _db.session.scalar(sa.select(Message).where(Message.wamid == sent["id"]))

    @property
    def conversation(self) -> Conversation | None:
        _db.session.expire_all()
        return _db.session.scalar(
            sa.select(Conversation).where(Conversation.client_id == self.tenant.id)
        )

    def bot_texts(self) -> list[str]:
        _db.session.expire_all()
        rows = _db.session.scalars(
            sa.select(Message).where(Message.client_id == self.tenant.id, Message.direction == "OUT",
                                     Message.author == "AI", Message.is_internal_note.is_(False))
            .order_by(Message.id)
        )  # fmt: skip
        return [m.body for m in rows]

    def runs(self) -> list[FlowRun]:
        _db.session.expire_all()
        return list(_db.session.scalars(sa.select(FlowRun).where(FlowRun.client_id == self.tenant.id)
                                        .order_by(FlowRun.id)))  # fmt: skip

    def journal(self, run_id: int) -> list[FlowRunStep]:
        _db.session.expire_all()
        return list(_db.session.scalars(sa.select(FlowRunStep).where(FlowRunStep.run_id == run_id)
                                        .order_by(FlowRunStep.seq)))  # fmt: skip

    def team(self, name: str = "Financeiro") -> Team:
        team = Team(client_id=self.tenant.id, name=name)
        _db.session.add(team)
        _db.session.commit()
        return team

    def publish(self, graph: dict, name: str = "Fluxo"):
        flow = versions.create_flow(self.tenant.id, name, user_id=None, graph=graph)
        versions.publish(self.tenant.id, flow.id, user_id=None)
        return flow


@pytest.fixture
def shop(app, sandbox, create_client, create_whatsapp_credential) -> Shop:
    tenant = create_client("Loja Fluxos")
    number = create_whatsapp_credential(tenant)
    return Shop(sandbox, tenant, number, "+5511987650002")
