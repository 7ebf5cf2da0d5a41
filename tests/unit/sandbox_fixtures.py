"""Helpers shared by the sandbox / integration client unit tests (no conftest on purpose)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from flask import Flask, request

from clickpro.sandbox import create_sandbox_app

TOKEN = "sandbox-token"
WABA = "100000000000001"
PNID = "100000000000011"
APP_ID = "100000000000021"
SECRET = "sandbox-app-secret"


class WebhookSink:
    """A tiny in-process WSGI app that records what the sandbox posts to ``/webhook``."""

    def __init__(self, status_code: int = 200) -> None:
        self.posts: list[tuple[bytes, str | None]] = []
        self.status_code = status_code
        self._lock = threading.Lock()
        app = Flask("sink")

        @app.post("/webhook")
        def hook() -> tuple[str, int]:
            with self._lock:
                self.posts.append((request.get_data(), request.headers.get("X-Hub-Signature-256")))
            return "", self.status_code

        self.app = app
        self.transport = httpx.WSGITransport(app=app)

    def payloads(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(body) for body, _ in self.posts]

    def changes(self, field: str | None = None) -> list[dict[str, Any]]:
        out = []
        for payload in self.payloads():
            for entry in payload["entry"]:
                for change in entry["changes"]:
                    if field is None or change["field"] == field:
                        out.append(change)
        return out

    def statuses(self) -> list[dict[str, Any]]:
        return [s for c in self.changes("messages") for s in c["value"].get("statuses", [])]

    def messages(self) -> list[dict[str, Any]]:
        return [m for c in self.changes("messages") for m in c["value"].get("messages", [])]

    def all_signed_with(self, secret: str) -> bool:
        with self._lock:
            posts = list(self.posts)
        return bool(posts) and all(
            sig == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            for body, sig in posts
        )


def sandbox_client(settings: dict[str, Any] | None = None) -> tuple[Flask, httpx.Client]:
    """A sandbox app and an httpx client talking to it in-process."""
    app = create_sandbox_app(settings)
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://sandbox")
    return app, client


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def template_payload(name: str, body: str = "Oi {{1}}!", **extra: Any) -> dict[str, Any]:
    components: list[dict[str, Any]] = [{"type": "BODY", "text": body}]
    if "{{1}}" in body:
        components[0]["example"] = {"body_text": [["Maria"]]}
    return {
        "name": name,
        "language": "pt_BR",
        "category": "MARKETING",
        "components": components,
        **extra,
    }


def approved_template(client: httpx.Client, name: str = "promo", token: str = TOKEN) -> None:
    """Create a template in a sandbox whose review delay is 0 and wait for APPROVED."""
    response = client.post(
        f"/graph/v23.0/{WABA}/message_templates", headers=auth(token), json=template_payload(name)
    )
    assert response.status_code == 200, response.text

    def approved() -> bool:
        rows = client.get(
            f"/graph/v23.0/{WABA}/message_templates", params={"name": name}, headers=auth(token)
        ).json()["data"]
        return bool(rows) and rows[0]["status"] == "APPROVED"

    assert wait_for(approved)


def template_send(to: str, name: str = "promo", callback: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": "pt_BR"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
        },
    }
    if callback is not None:
        payload["biz_opaque_callback_data"] = callback
    return payload


def text_send(to: str, body: str = "Olá", callback: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "text",
        "text": {"body": body},
    }
    if callback is not None:
        payload["biz_opaque_callback_data"] = callback
    return payload
