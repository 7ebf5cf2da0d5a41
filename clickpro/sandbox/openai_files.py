"""The sandbox's OpenAI ``/files`` and ``/vector_stores`` (with their ``/files``), and
the deterministic retrieval behind the ``file_search`` tool of ``/responses``.

Files and stores belong to the API key that created them (another key gets OpenAI's
404, as another organization would). A vector-store file is ``in_progress`` when
attached and ``completed`` (or ``failed``, when no text could be read) at the next
retrieve: one poll. Retrieval chunks each file's text (PDF and DOCX included) into
~80-word pieces and scores a chunk by the share of the query's words (accents, case,
stopwords and plural ``s`` folded away) it contains; as at OpenAI, chunks under the
tool's ``ranking_options.score_threshold`` (default 0) are left out.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from clickpro.sandbox.openai_common import Reply, error, gate
from clickpro.sandbox.openai_tools import STOPWORDS, fold
from clickpro.sandbox.state import SandboxState
from clickpro.services.ai.knowledge.text import DocumentError, extension, extract_text, sniff

bp = Blueprint("sandbox_openai_files", __name__, url_prefix="/openai/v1")
bp.before_request(gate)
CHUNK_WORDS = 80
MAX_FILE_BYTES = 512 * 1024 * 1024


def _state() -> SandboxState:
    return current_app.extensions["sandbox"]


def _key() -> str:
    return request.headers.get("Authorization", "")[7:].strip()


def _not_found(what: str, ident: str) -> tuple[Response, int]:
    return error(404, f"No such {what}: '{ident}'", "invalid_request_error", None)


def _bad(message: str, param: str | None = None) -> tuple[Response, int]:
    return error(400, message, "invalid_request_error", None, param)


# --------------------------------------------------------------------------- retrieval


def words(text: str) -> list[str]:
    out = []
    for word in re.findall(r"[a-z0-9]+", fold(text)):
        if len(word) < 3 or word in STOPWORDS:
            continue
        out.append(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return out


def chunks(text: str) -> list[str]:
    """~CHUNK_WORDS-word pieces, split at line ends when possible."""
    pieces: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        tokens = line.split()
        if current and len(current) + len(tokens) > CHUNK_WORDS:
            pieces.append(" ".join(current))
            current = []
        current.extend(tokens)
        while len(current) > CHUNK_WORDS:
            pieces.append(" ".join(current[:CHUNK_WORDS]))
            current = current[CHUNK_WORDS:]
    if current:
        pieces.append(" ".join(current))
    return pieces


def score(query: str, chunk: str) -> float:
    wanted = set(words(query))
    if not wanted:
        return 0.0
    return round(len(wanted & set(words(chunk))) / len(wanted), 4)


def _matches(attributes: dict, flt: Any) -> bool:
    """OpenAI's attribute filters: comparison (eq ne gt gte lt lte in nin) and compound
    (and / or)."""
    if not isinstance(flt, dict):
        return True
    kind = flt.get("type")
    if kind in ("and", "or"):
        results = [_matches(attributes, sub) for sub in flt.get("filters") or []]
        return all(results) if kind == "and" else any(results)
    value: Any = attributes.get(str(flt.get("key")))
    wanted: Any = flt.get("value")
    try:
        return {
            "eq": lambda: value == wanted, "ne": lambda: value != wanted,
            "gt": lambda: value > wanted, "gte": lambda: value >= wanted,
            "lt": lambda: value < wanted, "lte": lambda: value <= wanted,
            "in": lambda: value in wanted, "nin": lambda: value not in wanted,
        }[str(kind)]()  # fmt: skip
    except (KeyError, TypeError):
        return False


def search(key: str, tool: dict, query: str) -> list[dict]:
    """The file_search results for ``query`` over the tool's vector stores (best first)."""
    state = _state()
    found: list[dict] = []
    # OpenAI's default threshold is 0: every chunk sharing a word comes back, best first.
    ranking = tool.get("ranking_options")
    threshold = float(ranking.get("score_threshold") or 0.0) if isinstance(ranking, dict) else 0.0
    for store_id in tool.get("vector_store_ids") or []:
        store = state.vector_stores.get(store_id)
        if store is None or store["key"] != key:
            continue
        for file_id, entry in store["files"].items():
            if entry["status"] != "completed" or not _matches(
                entry["attributes"], tool.get("filters")
            ):
                continue
            stored = state.openai_files.get(file_id) or {}
            for chunk in stored.get("chunks", []):
                value = score(query, chunk)
                if value > 0 and value >= threshold:
                    found.append({"file_id": file_id, "filename": stored.get("filename"),
                                  "score": value, "text": chunk,
                                  "attributes": entry["attributes"]})  # fmt: skip
    found.sort(key=lambda r: -r["score"])
    return found[: int(tool.get("max_num_results") or 10)]


def file_search_output(
    key: str, tool: dict, query: str, include: list
) -> tuple[list[dict], str, list[dict]]:
    """(the file_search_call item, the answer text, its annotations) for the sandbox model."""
    results = search(key, tool, query)
    call = {"type": "file_search_call", "id": "fs_" + secrets.token_hex(24),
            "status": "completed", "queries": [query],
            "results": results if "file_search_call.results" in (include or []) else None}  # fmt: skip
    if not results:
        return [call], "Não encontrei essa informação nos documentos.", []
    best = results[0]
    text = f"Segundo {best['filename']}: {best['text'][:400]}"
    notes = [{"type": "file_citation", "file_id": best["file_id"], "filename": best["filename"],
              "index": len(text)}]  # fmt: skip
    return [call], text, notes


# --------------------------------------------------------------------------- /files


def _file_object(stored: dict) -> dict:
    return {"id": stored["id"], "object": "file", "bytes": stored["bytes"],
            "created_at": stored["created_at"], "filename": stored["filename"],
            "purpose": stored["purpose"], "status": "processed", "expires_at": None,
            "status_details": None}  # fmt: skip


def _own_file(file_id: str) -> dict | None:
    stored = _state().openai_files.get(file_id)
    return stored if stored is not None and stored["key"] == _key() else None


@bp.post("/files")
def create_file() -> Reply:
    upload = request.files.get("file")
    purpose = request.form.get("purpose")
    if upload is None:
        return _bad("Missing required parameter: 'file'.", "file")
    if purpose not in ("assistants", "batch", "fine-tune", "vision", "user_data", "evals"):
        return _bad(f"Invalid value for 'purpose': {purpose!r}.", "purpose")
    content = upload.read(MAX_FILE_BYTES + 1)
    if not content or len(content) > MAX_FILE_BYTES:
        return _bad("File is empty or too large.", "file")
    filename = upload.filename or "file"
    try:
        text = extract_text(content, sniff(content, filename))
    except DocumentError:
        text = None  # OpenAI accepts the upload; the vector store then fails the file
    except Exception:
        text = None
    file_id = "file-" + secrets.token_hex(11)
    _state().openai_files[file_id] = {
        "id": file_id, "key": _key(), "bytes": len(content), "created_at": int(time.time()),
        "filename": filename, "purpose": purpose, "ext": extension(filename),
        "chunks": chunks(text) if text else [], "readable": bool(text and text.strip()),
    }  # fmt: skip
    _state().openai_counts["files"] += 1
    return jsonify(_file_object(_state().openai_files[file_id]))


@bp.get("/files/<file_id>")
def get_file(file_id: str) -> Reply:
    stored = _own_file(file_id)
    return jsonify(_file_object(stored)) if stored else _not_found("file", file_id)


@bp.delete("/files/<file_id>")
def delete_file(file_id: str) -> Reply:
    if _own_file(file_id) is None:
        return _not_found("file", file_id)
    del _state().openai_files[file_id]
    return jsonify({"id": file_id, "object": "file", "deleted": True})


# --------------------------------------------------------------------------- /vector_stores


def _counts(store: dict) -> dict:
    statuses = [f["status"] for f in store["files"].values()]
    return {"in_progress": statuses.count("in_progress"), "completed": statuses.count("completed"),
            "failed": statuses.count("failed"), "cancelled": 0, "total": len(statuses)}  # fmt: skip


def _store_object(store: dict) -> dict:
    counts = _counts(store)
    return {"id": store["id"], "object": "vector_store", "created_at": store["created_at"],
            "name": store["name"], "usage_bytes": store.get("usage_bytes", 0),
            "file_counts": counts,
            "status": "in_progress" if counts["in_progress"] else "completed",
            "expires_after": None, "expires_at": None, "last_active_at": store["created_at"],
            "metadata": store["metadata"]}  # fmt: skip


def _own_store(store_id: str) -> dict | None:
    store = _state().vector_stores.get(store_id)
    return store if store is not None and store["key"] == _key() else None


@bp.post("/vector_stores")
def create_store() -> Reply:
    body = request.get_json(silent=True) or {}
    store_id = "vs_" + secrets.token_hex(12)
    _state().vector_stores[store_id] = {
        "id": store_id, "key": _key(), "created_at": int(time.time()),
        "name": str(body.get("name") or ""), "metadata": body.get("metadata") or {},
        "files": {},
    }  # fmt: skip
    return jsonify(_store_object(_state().vector_stores[store_id]))


@bp.get("/vector_stores/<store_id>")
def get_store(store_id: str) -> Reply:
    store = _own_store(store_id)
    return jsonify(_store_object(store)) if store else _not_found("vector store", store_id)


@bp.delete("/vector_stores/<store_id>")
def delete_store(store_id: str) -> Reply:
    if _own_store(store_id) is None:
        return _not_found("vector store", store_id)
    del _state().vector_stores[store_id]
    return jsonify({"id": store_id, "object": "vector_store.deleted", "deleted": True})


def _vs_file_object(store: dict, entry: dict) -> dict:
    return {"id": entry["id"], "object": "vector_store.file", "usage_bytes": entry["bytes"],
            "created_at": entry["created_at"], "vector_store_id": store["id"],
            "status": entry["status"], "last_error": entry["last_error"],
            "attributes": entry["attributes"],
            "chunking_strategy": {"type": "static", "static": {
                "max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}}  # fmt: skip


@bp.post("/vector_stores/<store_id>/files")
def attach_file(store_id: str) -> Reply:
    store = _own_store(store_id)
    if store is None:
        return _not_found("vector store", store_id)
    body = request.get_json(silent=True) or {}
    file_id = str(body.get("file_id") or "")
    stored = _own_file(file_id)
    if stored is None:
        return _not_found("file", file_id)
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict) or len(attributes) > 16:
        return _bad("Invalid 'attributes': at most 16 key-value pairs.", "attributes")
    entry = {"id": file_id, "bytes": stored["bytes"], "created_at": int(time.time()),
             "status": "in_progress", "last_error": None, "attributes": attributes}  # fmt: skip
    store["files"][file_id] = entry
    return jsonify(_vs_file_object(store, entry))


@bp.get("/vector_stores/<store_id>/files")
def list_files(store_id: str) -> Reply:
    store = _own_store(store_id)
    if store is None:
        return _not_found("vector store", store_id)
    data = [_vs_file_object(store, e) for e in store["files"].values()]
    return jsonify({"object": "list", "data": data,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None, "has_more": False})  # fmt: skip


@bp.get("/vector_stores/<store_id>/files/<file_id>")
def get_vs_file(store_id: str, file_id: str) -> Reply:
    store = _own_store(store_id)
    entry = store["files"].get(file_id) if store else None
    if store is None or entry is None:
        return _not_found("vector store file", file_id)
    if entry["status"] == "in_progress":  # indexed by the next poll
        stored = _state().openai_files.get(file_id) or {}
        if stored.get("readable"):
            entry["status"] = "completed"
            store["usage_bytes"] = store.get("usage_bytes", 0) + entry["bytes"]
        else:
            entry["status"] = "failed"
            entry["last_error"] = {"code": "unsupported_file" if stored.get("ext") not in
                                   ("pdf", "docx", "txt", "md", "csv") else "invalid_file",
                                   "message": "The file could not be parsed."}  # fmt: skip
    return jsonify(_vs_file_object(store, entry))


@bp.delete("/vector_stores/<store_id>/files/<file_id>")
def detach_file(store_id: str, file_id: str) -> Reply:
    store = _own_store(store_id)
    if store is None or file_id not in store["files"]:
        return _not_found("vector store file", file_id)
    del store["files"][file_id]
    return jsonify({"id": file_id, "object": "vector_store.file.deleted", "deleted": True})
