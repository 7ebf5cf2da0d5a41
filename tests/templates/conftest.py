"""Fixtures for the templates feature: a tenant wired to the sandbox, a Graph call log."""

from __future__ import annotations

import httpx
import pytest


class RecordingTransport(httpx.BaseTransport):
    """Wraps the sandbox transport and records (method, path) of every Graph call."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def creates(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] == "POST" and c[1].endswith("/message_templates")]

    def uploads(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] == "POST" and "upload" in c[1]]


@pytest.fixture
def meta_calls(app, sandbox) -> RecordingTransport:
    recorder = RecordingTransport(app.config["META_HTTP_TRANSPORT"])
    app.config["META_HTTP_TRANSPORT"] = recorder
    app.extensions.pop("clickpro.meta_http", None)
    return recorder


@pytest.fixture
def tenant(create_client, create_whatsapp_credential, sandbox):
    """A client with a VALID credential on the sandbox's default account."""
    tenant = create_client("Loja Modelos")
    create_whatsapp_credential(tenant)
    return tenant


@pytest.fixture
def admin_web(login_as, tenant):
    return login_as(tenant.admin, tenant)


@pytest.fixture
def sandbox_account(sandbox):
    """Create an extra sandbox account; returns the dict the credential fixture takes."""

    def _make() -> dict:
        account = sandbox.create_account()
        return {
            "access_token": account.access_token,
            "waba_id": account.waba_id,
            "phone_number_id": account.phone_number_id,
            "app_id": account.app_id,
        }

    return _make


@pytest.fixture
def create_on_meta(sandbox):
    """Create a template directly in the sandbox (outside ClickPro)."""

    def _create(name: str, waba_id: str = "100000000000001", language: str = "pt_BR", **kw):
        account = sandbox.account_for_waba(waba_id)
        payload = {
            "name": name,
            "language": language,
            "category": kw.get("category", "UTILITY"),
            "components": kw.get(
                "components", [{"type": "BODY", "text": f"Mensagem {name} de teste para você."}]
            ),
        }
        body, status = sandbox.templates.create(account, payload)
        assert status == 200, body
        return body["id"]

    return _create
