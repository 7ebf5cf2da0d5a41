"""Graph API routes of the sandbox, mounted under ``/graph/<version>/…``."""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from clickpro.sandbox.errors import error_response, not_found_object
from clickpro.sandbox.state import Account, SandboxState

bp = Blueprint("sandbox_graph", __name__, url_prefix="/graph")
VERSION_RE = re.compile(r"^v\d+\.\d+$")
Reply = tuple[Response, int] | Response


def _state() -> SandboxState:
    return current_app.extensions["sandbox"]


def _token(scheme: str = "Bearer") -> str | None:
    header = request.headers.get("Authorization", "")
    prefix = f"{scheme} "
    if header[: len(prefix)].lower() == prefix.lower():
        return header[len(prefix) :].strip()
    if not header:
        return request.args.get("access_token")
    return None


def _auth(scheme: str = "Bearer") -> Account | Reply:
    account = _state().account_for_token(_token(scheme))
    if account is None:
        return error_response(190)
    return account


def _json_body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


@bp.before_request
def _check_version() -> Reply | None:
    version = (request.view_args or {}).get("version")
    if version is not None and not VERSION_RE.match(version):
        return error_response(100, details=f"Unknown API version {version}.")
    return None


@bp.get("/<version>/<waba_id>/phone_numbers")
def phone_numbers(version: str, waba_id: str) -> Reply:
    account = _auth()
    if not isinstance(account, Account):
        return account
    if account.waba_id != waba_id:
        return not_found_object(waba_id)
    numbers = [a.phone_number_object() for a in _state().accounts() if a.waba_id == waba_id]
    cursor = base64.urlsafe_b64encode(b"QVFIUjRo").decode()
    return jsonify({"data": numbers, "paging": {"cursors": {"before": cursor, "after": cursor}}})


@bp.route("/<version>/<waba_id>/message_templates", methods=["GET", "POST", "DELETE"])
def message_templates(version: str, waba_id: str) -> Reply:
    account = _auth()
    if not isinstance(account, Account):
        return account
    if account.waba_id != waba_id:
        return not_found_object(waba_id)
    store = _state().templates
    if request.method == "POST":
        payload = _json_body()
        if payload is None:
            return error_response(100, details="A JSON body is required.")
        body, status = store.create(account, payload)
    elif request.method == "DELETE":
        body, status = store.delete(waba_id, request.args.get("name"))
    else:
        try:
            limit = int(request.args.get("limit", 25))
        except ValueError:
            return error_response(100, details="limit must be an integer.")
        args = {k: v for k, v in request.args.items() if k not in {"after", "access_token"}}
        query = "&".join(f"{k}={v}" for k, v in args.items())
        next_url = f"{request.base_url}?{query}"
        body, status = store.list(
            waba_id,
            name=request.args.get("name"),
            limit=limit,
            after=request.args.get("after"),
            next_url=next_url,
        )
    return jsonify(body), status


@bp.post("/<version>/<app_id>/uploads")
def start_upload(version: str, app_id: str) -> Reply:
    account = _auth()
    if not isinstance(account, Account):
        return account
    try:
        length = int(request.args.get("file_length", ""))
    except ValueError:
        return error_response(100, details="file_length is required.")
    file_type = request.args.get("file_type", "")
    if not file_type or length <= 0:
        return error_response(100, details="file_type and file_length are required.")
    # Like Meta's, the id carries a signature query: the client must POST to it verbatim.
    upload_id = "upload:" + base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
    sig = secrets.token_urlsafe(12)
    _state().uploads[upload_id] = {
        "sig": sig,
        "app_id": app_id,
        "file_name": request.args.get("file_name"),
        "file_length": length,
        "file_type": file_type,
        "content": None,
    }
    return jsonify({"id": f"{upload_id}?sig={sig}"})


@bp.route("/<version>/<node_id>", methods=["GET", "POST"])
def node(version: str, node_id: str) -> Reply:
    if node_id.startswith("upload:") and request.method == "POST":
        return _finish_upload(node_id)
    account = _auth()
    if not isinstance(account, Account):
        return account
    fields = set(str(request.args.get("fields", "")).split(","))
    if (
        request.method == "GET"
        and node_id == account.waba_id
        and ("marketing_messages_onboarding_status" in fields)
    ):  # Marketing Messages API onboarding (h6)
        return jsonify(
            {
                "id": node_id,
                "marketing_messages_onboarding_status": account.marketing_messages_status,
            }
        )
    media = _state().media.get(node_id)
    if request.method != "GET" or media is None:
        return not_found_object(node_id)
    return jsonify(
        {
            "messaging_product": "whatsapp",
            "url": f"{request.host_url}graph/_media/{node_id}?mid={node_id}",
            "mime_type": media["mime_type"],
            "sha256": media["sha256"],
            "file_size": media["file_size"],
            "id": node_id,
        }
    )


def _finish_upload(upload_id: str) -> Reply:
    """Second step of the resumable upload: ``Authorization: OAuth`` + ``file_offset: 0``."""
    account = _auth("OAuth")
    if not isinstance(account, Account):
        return account
    session = _state().uploads.get(upload_id)
    if session is None or request.args.get("sig") != session["sig"]:
        return not_found_object(upload_id)
    if request.headers.get("file_offset") != "0":
        return error_response(100, details="The file_offset header is required.")
    content = request.get_data()
    if len(content) != session["file_length"]:
        return error_response(
            100, details=f"Expected {session['file_length']} bytes, got {len(content)}."
        )
    session["content"] = content
    handle = "4::" + base64.b64encode(f"{session['file_type']}:{upload_id}".encode()).decode()
    session["handle"] = handle
    return jsonify({"h": handle})


@bp.post("/<version>/<phone_number_id>/media")
def upload_media(version: str, phone_number_id: str) -> Reply:
    account = _auth()
    if not isinstance(account, Account):
        return account
    if account.phone_number_id != phone_number_id:
        return not_found_object(phone_number_id)
    upload = request.files.get("file")
    if request.form.get("messaging_product") != "whatsapp" or upload is None:
        return error_response(100, details="messaging_product and file are required.")
    mime = request.form.get("type") or upload.mimetype or "application/octet-stream"
    media_id = _state().add_media(upload.read(), mime, upload.filename)
    return jsonify({"id": media_id})


@bp.get("/_media/<media_id>")
def download_media(media_id: str) -> Reply:
    account = _auth()
    if not isinstance(account, Account):
        return account
    media = _state().media.get(media_id)
    if media is None:
        return not_found_object(media_id)
    media["downloads"] = media.get("downloads", 0) + 1  # tests: "fetched from Meta once"
    return Response(media["content"], mimetype=media["mime_type"]), 200


# POST /<version>/<phone_number_id>/messages is served by clickpro.sandbox.fastpath.
