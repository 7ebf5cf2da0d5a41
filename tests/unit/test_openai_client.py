"""OpenAIGateway against the in-process sandbox, a loopback sandbox and respx doubles."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from flask import Flask

from clickpro.config import BaseConfig
from clickpro.integrations.openai import (
    OpenAIErrorKind,
    OpenAIFailure,
    OpenAIGateway,
    Reply,
    mask_keys,
    openai_client,
    parse_retry_after,
)
from clickpro.sandbox import SandboxServer, create_sandbox_app

K = OpenAIErrorKind
KEY = "sk-test-abcdefghijklmnop9876"
HISTORY = [
    {"role": "user", "content": "Oi, vocês entregam em Campinas?"},
    {"role": "assistant", "content": "Entregamos sim! Qual o seu CEP?"},
    {"role": "user", "content": "13010-000"},
]
RESPX_BASE = "https://api.openai.test/v1"


@pytest.fixture
def sandbox_app():
    sandbox = create_sandbox_app()
    app = Flask("t")
    app.config.from_object(BaseConfig)  # the settings table's defaults
    app.config.update(
        OPENAI_BASE_URL="http://sandbox/openai/v1",
        OPENAI_HTTP_TRANSPORT=httpx.WSGITransport(app=sandbox),
    )
    yield app, sandbox.extensions["sandbox"]
    sandbox.extensions["sandbox"].close()


def reply(gateway: OpenAIGateway, **kwargs) -> Reply:
    return gateway.create_reply(
        model=kwargs.pop("model", "gpt-4.1-mini"),
        instructions="Você é o atendente virtual da Loja X.",
        messages=HISTORY,
        **kwargs,
    )


def respx_gateway(key: str = KEY) -> OpenAIGateway:
    return OpenAIGateway(key, base_url=RESPX_BASE, timeout=5)


def failure(call) -> OpenAIFailure:
    with pytest.raises(OpenAIFailure) as info:
        call()
    return info.value


# ---------------------------------------------------------------- sandbox
def test_list_models_and_reply_on_sandbox(sandbox_app) -> None:
    app, _ = sandbox_app
    with app.app_context():
        gateway = openai_client(KEY)
    assert "gpt-4.1-mini" in gateway.list_models()
    result = reply(gateway)
    assert result.text.startswith('Olá! Sobre "13010-000"')
    assert result.model == "gpt-4.1-mini" and result.status == "completed"
    assert result.response_id.startswith("resp_")
    assert result.input_tokens > 0 and result.output_tokens > 0 and result.latency_ms >= 0


def test_reply_truncated_is_incomplete(sandbox_app) -> None:
    app, _ = sandbox_app
    result = reply(openai_client(KEY, app=app), max_output_tokens=3)
    assert result.status == "incomplete" and result.output_tokens == 3


@pytest.mark.parametrize(
    ("forced", "kind", "retryable", "status"),
    [
        ("bad_key", K.BAD_KEY, False, 401),
        ("rate_limit", K.RATE_LIMIT, True, 429),
        ("quota", K.QUOTA, False, 429),
        ("server", K.SERVER, True, 500),
    ],
)
def test_forced_failures_map_to_kinds(sandbox_app, forced, kind, retryable, status) -> None:
    app, state = sandbox_app
    state.force_openai(forced)
    err = failure(lambda: reply(openai_client(KEY, app=app)))
    assert (err.kind, err.retryable, err.status_code) == (kind, retryable, status)
    assert err.message and KEY not in err.message
    if forced == "rate_limit":
        assert err.retry_after == 1.0
    else:
        assert err.retry_after is None
    assert reply(openai_client(KEY, app=app)).text  # only the next call was forced


def test_unknown_and_revoked_keys_are_bad_key_and_masked(sandbox_app) -> None:
    app, state = sandbox_app
    err = failure(lambda: openai_client("not-a-key", app=app).list_models())
    assert err.kind is K.BAD_KEY and not err.retryable
    state.revoked_keys.add(KEY)
    err = failure(lambda: openai_client(KEY, app=app).list_models())
    assert err.kind is K.BAD_KEY
    assert KEY not in err.message and KEY not in str(err)
    assert "Incorrect API key provided" in err.message and "9876" in err.message


def test_unknown_model_is_model_not_found(sandbox_app) -> None:
    app, _ = sandbox_app
    err = failure(lambda: reply(openai_client(KEY, app=app), model="gpt-9-ultra"))
    assert err.kind is K.MODEL_NOT_FOUND and err.status_code == 400 and not err.retryable


def test_timeout_against_loopback_sandbox() -> None:
    with SandboxServer() as server:
        server.state.force_openai("timeout", sleep_s=1.0)
        gateway = OpenAIGateway(KEY, base_url=server.openai_url, timeout=0.2)
        err = failure(lambda: reply(gateway))
    assert err.kind is K.TIMEOUT and err.retryable


def test_connection_refused_is_connection() -> None:
    gateway = OpenAIGateway(KEY, base_url="http://127.0.0.1:9/v1", timeout=1)
    err = failure(gateway.list_models)
    assert err.kind is K.CONNECTION and err.retryable


# ---------------------------------------------------------------- respx
def test_request_shape_is_responses_api_without_store() -> None:
    body = {
        "id": "resp_1", "object": "response", "created_at": 1, "status": "completed",
        "model": "gpt-4.1-mini", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
        "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": "Perfeito", "annotations": []}]}],
        "usage": {"input_tokens": 58, "output_tokens": 21, "total_tokens": 79,
                  "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens_details": {"reasoning_tokens": 0}},
    }  # fmt: skip
    with respx.mock as mock:
        route = mock.post(f"{RESPX_BASE}/responses").respond(json=body)
        result = reply(respx_gateway(), temperature=0.3)
    sent = json.loads(route.calls.last.request.content)
    assert sent["store"] is False and sent["max_output_tokens"] == 400
    assert sent["input"] == HISTORY and sent["temperature"] == 0.3
    assert sent["instructions"].startswith("Você é")
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"
    assert (result.text, result.input_tokens, result.output_tokens) == ("Perfeito", 58, 21)


def _err(status: int, code: str | None, type_: str = "invalid_request_error", **headers):
    return httpx.Response(
        status,
        json={"error": {"message": f"boom {KEY}", "type": type_, "param": None, "code": code}},
        headers=headers,
    )


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (_err(401, "invalid_api_key"), K.BAD_KEY),
        (_err(429, "rate_limit_exceeded", "requests"), K.RATE_LIMIT),
        (_err(429, "insufficient_quota", "insufficient_quota"), K.QUOTA),
        (_err(404, "model_not_found"), K.MODEL_NOT_FOUND),
        (_err(404, None), K.MODEL_NOT_FOUND),
        (_err(400, "model_not_found"), K.MODEL_NOT_FOUND),
        (_err(400, "invalid_value"), K.BAD_REQUEST),
        (_err(500, None, "server_error"), K.SERVER),
        (httpx.Response(503, text="upstream"), K.SERVER),
    ],
)
def test_status_errors_map_to_kinds_and_are_not_retried(response, kind) -> None:
    with respx.mock as mock:
        route = mock.post(f"{RESPX_BASE}/responses").mock(return_value=response)
        err = failure(lambda: reply(respx_gateway()))
    assert err.kind is kind
    assert route.call_count == 1  # max_retries=0: the caller owns retries
    assert KEY not in err.message and KEY not in str(err)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [(httpx.ReadTimeout("slow"), K.TIMEOUT), (httpx.ConnectError("refused"), K.CONNECTION)],
)
def test_transport_errors_map_to_kinds(exc, kind) -> None:
    with respx.mock as mock:
        route = mock.get(f"{RESPX_BASE}/models").mock(side_effect=exc)
        err = failure(respx_gateway().list_models)
    assert err.kind is kind and err.retryable and route.call_count == 1


def test_retry_after_headers() -> None:
    with respx.mock as mock:
        mock.post(f"{RESPX_BASE}/responses").mock(
            side_effect=[_err(429, "rate_limit_exceeded", **{"retry-after-ms": "250"})]
        )
        assert failure(lambda: reply(respx_gateway())).retry_after == 0.25
    assert parse_retry_after(httpx.Headers({"x-ratelimit-reset-requests": "6m0s"})) == 360.0
    assert parse_retry_after(httpx.Headers({"x-ratelimit-reset-tokens": "1.5s"})) == 1.5
    assert parse_retry_after(httpx.Headers({})) is None


def test_mask_keys() -> None:
    assert mask_keys(f"key {KEY} bad") == "key sk-…9876 bad"
    assert mask_keys("provided: sk-proj-****abcd.") == "provided: sk-…abcd."
