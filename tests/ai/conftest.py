"""Fixtures of the AI-reply tests: a shop with WhatsApp + OpenAI on the sandbox, a
customer who writes through the sandbox's signed webhooks, and spies on OpenAI calls."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from clickpro.crypto import encrypt, last4
from clickpro.extensions import db as _db
from clickpro.models import Message, OpenAICredential

PNID = "100000000000011"
API_KEY = "sk-test-clickpro-ai-0000001234"


class OpenAISpy(httpx.BaseTransport):
    """The sandbox transport, recording every ``POST /responses`` body.

    ``timeouts``: how many next ``/responses`` calls raise ``httpx.ReadTimeout`` (an
    in-process WSGI transport cannot time out by itself).
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.bodies: list[dict] = []
        self.timeouts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            self.bodies.append(json.loads(request.read() or b"{}"))
            if self.timeouts > 0:
                self.timeouts -= 1
                raise httpx.ReadTimeout("simulated OpenAI timeout", request=request)
        return self.inner.handle_request(request)


@pytest.fixture
def openai_spy(app, sandbox) -> OpenAISpy:
    spy = OpenAISpy(app.config["OPENAI_HTTP_TRANSPORT"])
    app.config["OPENAI_HTTP_TRANSPORT"] = spy
    app.extensions.pop("clickpro.openai_http", None)
    return spy


@pytest.fixture
def create_openai_credential(app):
    def _create(tenant, **fields) -> OpenAICredential:
        options = fields.pop("options", {})
        credential = OpenAICredential(
            client_id=tenant.id,
            api_key_enc=encrypt(fields.pop("api_key", API_KEY)),
            key_last4=last4(API_KEY),
            assistant_id=fields.pop("assistant_id", "cpa_test0001"),
            model=fields.pop("model", "gpt-4.1-mini"),
            instructions=fields.pop("instructions", "Você é a atendente da Loja IA."),
            context_messages=fields.pop("context_messages", 12),
            handoff_keywords=fields.pop(
                "handoff_keywords", ["atendente", "humano", "falar com alguém"]
            ),
            status=fields.pop("status", "VALID"),
            options=options,
            **fields,
        )
        _db.session.add(credential)
        _db.session.commit()
        return credential

    return _create


class Shop:
    """A client with AI on, and one customer who writes through the sandbox."""

    def __init__(self, app, sandbox, tenant, credential, phone: str, number) -> None:
        self.app = app
        self.sandbox = sandbox
        self.tenant = tenant
        self.credential = credential
        self.number = number  # the shop's WhatsApp number (whatsapp_credentials row)
        self.phone = phone
        self.wa_id = phone.lstrip("+")

    def say(
        self, text: str | None = None, message: dict | None = None, *, to: str = PNID
    ) -> Message:
        """The customer writes (to the number ``to``, Meta's phone number id); the signed
        webhook reaches the app; returns the row."""
        sent = self.sandbox.simulate_inbound(
            to, self.wa_id, text=text, message=message, name="Maria Cliente"
        )
        self.sandbox.flush()
        _db.session.expire_all()
        return _db.session.scalar(sa.select(Message).where(Message.wamid == sent["id"]))

    @property
    def contact(self):
        from clickpro.models import Contact

        _db.session.expire_all()
        return _db.session.scalar(sa.select(Contact).where(Contact.client_id == self.tenant.id))

    @property
    def conversation(self):
        """The customer's conversation on the shop's (first) number."""
        from clickpro.models import Conversation

        _db.session.expire_all()
        return _db.session.scalar(
            sa.select(Conversation).where(
                Conversation.client_id == self.tenant.id,
                Conversation.number_id == self.number.id,
            )
        )

    def ai_messages(self) -> list[Message]:
        _db.session.expire_all()
        stmt = sa.select(Message).where(Message.client_id == self.tenant.id, Message.author == "AI")
        return list(_db.session.scalars(stmt.order_by(Message.id)))

    def openai_calls(self) -> int:
        return int(self.sandbox.openai_counts["responses"])


@pytest.fixture
def shop(app, sandbox, openai_spy, create_client, create_whatsapp_credential,
         create_openai_credential) -> Shop:  # fmt: skip
    tenant = create_client("Loja IA", ai_enabled=True)
    number = create_whatsapp_credential(tenant)
    credential = create_openai_credential(tenant)
    return Shop(app, sandbox, tenant, credential, "+5511987650001", number)


@pytest.fixture
def queued_jobs(monkeypatch):
    """Record the reply jobs instead of running them (to run them later, in order)."""
    import importlib

    import clickpro.services.ai.trigger as ai_trigger
    import clickpro.tasks.ai as ai_tasks
    from clickpro.jobs import job_path

    jobs: list[tuple] = []

    def _record(func, *args, **kwargs):
        if isinstance(func, str):  # a job enqueued by name: the function RQ would import
            module, _, name = job_path(func).rpartition(".")
            func = getattr(importlib.import_module(module), name)
        jobs.append((func, args, kwargs))

    monkeypatch.setattr(ai_tasks, "enqueue", _record)
    monkeypatch.setattr(ai_trigger, "enqueue", _record)
    return jobs
