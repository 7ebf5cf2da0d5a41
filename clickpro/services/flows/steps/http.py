"""The http step: POST/GET JSON to the client's endpoint (n8n, Make, an ERP).

The outbound-webhook SSRF rules apply (``url_guard.check_url`` before, the
``GuardedTransport`` at connect time, ``OUTBOUND_WEBHOOK_ALLOW_PRIVATE``), with a timeout
(1–15 s, also on the whole body), no redirects and a 256 KB cap on the response.
Anything but a 2xx JSON answer takes ``on_error``. A resumed run may call the endpoint
again (the step is at-least-once; the journal shows each attempt).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from flask import current_app
from flask_babel import gettext as _

from clickpro.services.flows.steps.base import Ctx, Result

MAX_RESPONSE = 256 * 1024
MAX_VALUE = 2000


def dotted(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _value(value: Any) -> Any:
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return text[:MAX_VALUE]
    if isinstance(value, str):
        return value[:MAX_VALUE]
    return value


class BadResponse(ValueError):
    """The endpoint answered, but not with something the step can use (``kind``)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def call(url: str, method: str, headers: dict, body: Any, timeout_s: float) -> tuple[int, Any]:
    from clickpro.services.api import url_guard

    allow = bool(current_app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"])
    url_guard.check_url(url, allow_private=allow)
    deadline = time.monotonic() + timeout_s
    transport = url_guard.GuardedTransport(allow_private=allow)
    kwargs: dict = {"headers": {"User-Agent": "ClickPro-Flows/1", **headers}}
    if method == "POST":
        kwargs["json"] = body
    with httpx.Client(transport=transport, timeout=timeout_s, follow_redirects=False,
                      trust_env=False) as client, client.stream(method, url, **kwargs) as resp:  # fmt: skip
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE:
                raise BadResponse("too_large", "response too large")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout("deadline")
            chunks.append(chunk)
        raw = b"".join(chunks)
        status = resp.status_code
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        raise BadResponse("not_json", "not JSON") from None
    return status, data


def failure(exc: BaseException, timeout_s: float) -> tuple[str, str]:
    """(kind, pt_BR reason) of a failed call, for the journal."""
    from clickpro.services.api import url_guard

    if url_guard.refused_by(exc, url_guard.ForbiddenAddress):
        return "refused", _("Endereço recusado: a URL aponta para uma rede interna.")
    if url_guard.refused_by(exc, url_guard.UnresolvableHost):
        return "unresolvable", _("Endereço não encontrado (DNS).")
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", _("Sem resposta em %(s)s s.", s=int(timeout_s))
    if isinstance(exc, httpx.HTTPError):
        return type(exc).__name__, _("Falha de conexão com o endereço.")
    if isinstance(exc, BadResponse) and exc.kind == "too_large":
        return exc.kind, _("Resposta grande demais (máximo de %(kb)s KB).", kb=MAX_RESPONSE // 1024)
    if isinstance(exc, BadResponse):
        return exc.kind, _("A resposta não é JSON.")
    return type(exc).__name__, _("Falha na chamada.")


def step_http(ctx: Ctx, sid: str, step: dict) -> Result:
    url = ctx.render(step.get("url"))
    method = "GET" if step.get("method") == "GET" else "POST"
    headers = {str(k): ctx.render(v)[:1000] for k, v in (step.get("headers") or {}).items()}
    body = ctx.render_deep(step["body"]) if "body" in step else {
        k: v for k, v in ctx.variables.items() if not k.startswith("_")}  # fmt: skip
    try:
        timeout_s = float(max(1, min(15, int(step.get("timeout_s") or 10))))
    except (TypeError, ValueError):
        timeout_s = 10.0
    try:
        status, data = call(url, method, headers, body, timeout_s)
    except Exception as exc:
        kind, reason = failure(exc, timeout_s)
        return Result("next", step.get("on_error"), exit_field="on_error", outcome="http_error",
                      detail={"error": kind, "reason": reason, "message": str(exc)[:200]})  # fmt: skip
    if not 200 <= status < 300 or data is None:
        ctx.set_variables({"http_status": status})
        return Result("next", step.get("on_error"), exit_field="on_error", outcome="http_error",
                      detail={"status": status})  # fmt: skip
    mapped = {
        str(name): _value(dotted(data, str(path))) for name, path in (step.get("map") or {}).items()
    }
    ctx.set_variables({**mapped, "http_status": status})
    return Result(
        "next", step.get("next"), outcome="http_ok", detail={"status": status, "mapped": mapped}
    )
