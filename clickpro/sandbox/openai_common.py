"""Helpers shared by the sandbox's OpenAI blueprints (``openai_api`` and ``openai_files``):
the sandbox state, OpenAI's error body, and the gate (auth, forced failures, latency) run
before every OpenAI route."""

from __future__ import annotations

import time

from flask import Response, current_app, jsonify, request

from clickpro.sandbox.state import SandboxState

Reply = tuple[Response, int] | Response


def state() -> SandboxState:
    return current_app.extensions["sandbox"]


def error(
    status: int, message: str, type_: str, code: str | None, param: str | None = None
) -> tuple[Response, int]:
    return jsonify(
        {"error": {"message": message, "type": type_, "param": param, "code": code}}
    ), status


def masked(key: str) -> str:
    return f"{key[:3]}{'*' * max(len(key) - 7, 4)}{key[-4:]}" if len(key) > 8 else "****"


def bad_key(key: str) -> tuple[Response, int]:
    return error(
        401,
        f"Incorrect API key provided: {masked(key)}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    )


def gate() -> Reply | None:
    """Auth, forced failures and simulated latency shared by every OpenAI route."""
    sandbox = state()
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not key:
        return error(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            None,
        )
    if not key.startswith("sk-") or key in sandbox.revoked_keys:
        sandbox.openai_counts["errors"] += 1
        return bad_key(key)
    latency = float(sandbox.config.get("openai_latency_ms", 0) or 0)
    if latency > 0:
        time.sleep(latency / 1000.0)
    forced = sandbox.next_openai_failure()
    if forced is None:
        return None
    sandbox.openai_counts["errors"] += 1
    kind = forced["kind"]
    if kind == "timeout":
        time.sleep(float(forced.get("sleep_s") or sandbox.config.get("openai_timeout_sleep_s", 5)))
        return None  # the client gave up long ago; answering late is what a hang looks like
    if kind == "bad_key":
        return bad_key(key)
    if kind == "quota":
        return error(
            429,
            "You exceeded your current quota, please check your plan and billing details. "
            "For more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota",
            "insufficient_quota",
        )
    if kind == "rate_limit":
        response, status = error(
            429,
            "Rate limit reached for gpt-4.1-mini in organization org-sandbox on requests per "
            "min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.",
            "requests",
            "rate_limit_exceeded",
        )
        response.headers["retry-after"] = "1"
        response.headers["x-ratelimit-reset-requests"] = "120ms"
        return response, status
    return error(
        500,
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    )
