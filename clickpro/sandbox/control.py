"""Control API of the sandbox (``/_control/…``): what tests, benchmarks and the demo steer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from clickpro.sandbox.state import SandboxState

bp = Blueprint("sandbox_control", __name__, url_prefix="/_control")
Reply = tuple[Response, int] | Response


def _state() -> SandboxState:
    return current_app.extensions["sandbox"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _bad(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@bp.post("/accounts")
def create_account() -> Reply:
    state = _state()
    try:
        account = state.create_account(**_body())
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify(account.public()), 201


@bp.get("/accounts")
def list_accounts() -> Reply:
    state = _state()
    return jsonify({"data": [a.public() for a in state.accounts()]})


@bp.route("/config", methods=["GET", "POST"])
def config() -> Reply:
    state = _state()
    if request.method == "GET":
        return jsonify(state.public_config())
    try:
        return jsonify(state.update_config(_body()))
    except ValueError as exc:
        return _bad(str(exc))


@bp.post("/failures")
def failures() -> Reply:
    body = _body()
    try:
        _state().set_failures(str(body.get("phone_number_id", "")), list(body.get("rules") or []))
    except (KeyError, ValueError, TypeError) as exc:
        return _bad(str(exc))
    return jsonify({"ok": True})


@bp.post("/inbound")
def inbound() -> Reply:
    """A customer writes: ``from`` (phone) or ``user_id`` (a username user's BSUID);
    ``username`` and ``hide_phone`` (no phone in the webhook) are optional."""
    body = _body()
    who = body.get("from") or body.get("user_id")
    if not body.get("phone_number_id") or not who:
        return _bad("phone_number_id and from (or user_id) are required")
    if not body.get("text") and not isinstance(body.get("message"), dict):
        return _bad("text or message is required")
    try:
        message = _state().simulate_inbound(
            str(body["phone_number_id"]),
            str(who),
            text=body.get("text"),
            message=body.get("message"),
            name=body.get("name") or "Cliente Sandbox",
            context_id=body.get("context_id"),
            username=body.get("username"),
            hide_phone=bool(body.get("hide_phone")),
        )
    except KeyError as exc:
        return _bad(str(exc), 404)
    return jsonify({"message": message}), 202


@bp.post("/user-id-change")
def user_id_change() -> Reply:
    """The customer ``from``/``user_id`` changed number: new BSUID (and ``new_wa_id``),
    announced as ``shape`` = ``system`` (message), ``user_id_update`` (field) or ``both``."""
    body = _body()
    who = body.get("from") or body.get("user_id")
    if not body.get("phone_number_id") or not who:
        return _bad("phone_number_id and from (or user_id) are required")
    try:
        change = _state().change_user_id(
            str(body["phone_number_id"]),
            str(who),
            new_phone=str(body["new_wa_id"]) if body.get("new_wa_id") else None,
            shape=str(body.get("shape") or "both"),
            name=body.get("name") or "Cliente Sandbox",
        )
    except KeyError as exc:
        return _bad(str(exc), 404)
    except ValueError as exc:
        return _bad(str(exc))
    return jsonify(change), 202


@bp.post("/media")
def media() -> Reply:
    """Store bytes (raw body) as a media id, e.g. for an inbound image."""
    mime = request.mimetype or "application/octet-stream"
    return jsonify({"id": _state().add_media(request.get_data(), mime)}), 201


@bp.post("/templates/<template_id>/status")
def template_status(template_id: str) -> Reply:
    body = _body()
    try:
        template = _state().templates.set_status(
            template_id, str(body.get("status", "")), str(body.get("reason", "NONE"))
        )
    except KeyError as exc:
        return _bad(str(exc), 404)
    except ValueError as exc:
        return _bad(str(exc))
    return jsonify(template)


@bp.post("/flush")
def flush() -> Reply:
    return jsonify(_state().flush())


@bp.get("/sends")
def sends() -> Reply:
    since = request.args.get("since", type=float)
    data = _state().list_sends(request.args.get("phone_number_id"), since)
    return jsonify({"data": data, "count": len(data)})


@bp.get("/stats")
def stats() -> Reply:
    return jsonify(_state().stats())


@bp.get("/webhooks")
def webhooks() -> Reply:
    """The last delivery attempts (url, status code, events per POST)."""
    return jsonify({"data": list(_state().dispatcher.recent)})


@bp.post("/reset")
def reset() -> Reply:
    _state().reset()
    return jsonify({"ok": True})


@bp.post("/openai")
def openai_control() -> Reply:
    """``{"fail": "rate_limit", "count": 2}``, ``{"revoke": "sk-…"}``, ``{"latency_ms": 50}``."""
    state = _state()
    body = _body()
    try:
        if body.get("fail"):
            state.force_openai(str(body["fail"]), int(body.get("count", 1)), body.get("sleep_s"))
        if body.get("revoke"):
            state.revoked_keys.add(str(body["revoke"]))
        if "latency_ms" in body:
            state.update_config({"openai_latency_ms": float(body["latency_ms"])})
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify({"pending_failures": len(state.openai_forced)})
