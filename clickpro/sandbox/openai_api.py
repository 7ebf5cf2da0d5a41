"""OpenAI routes of the sandbox under ``/openai/v1`` (``/models``, ``/responses`` and
``/audio/transcriptions``)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from clickpro.sandbox import openai_files, openai_intents, openai_tools
from clickpro.sandbox.openai_common import Reply
from clickpro.sandbox.openai_common import error as _error
from clickpro.sandbox.openai_common import gate as _gate
from clickpro.sandbox.openai_common import state as _state

bp = Blueprint("sandbox_openai", __name__, url_prefix="/openai/v1")
bp.before_request(_gate)
MODELS = ("gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini", "gpt-5-mini")


@bp.get("/models")
def models() -> Reply:
    _state().openai_counts["models"] += 1
    data = [
        {"id": m, "object": "model", "created": 1700000000 + n, "owned_by": "openai"}
        for n, m in enumerate(MODELS)
    ]
    return jsonify({"object": "list", "data": data})


def _last_user_text(input_: Any) -> str:
    if isinstance(input_, str):
        return input_
    for item in reversed(input_):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    str(p.get("text", "")) for p in content if isinstance(p, dict)
                ).strip()
    return ""


def _image_parts(input_: Any) -> int:
    """How many ``input_image`` parts (with an ``image_url`` or ``file_id``) the input has."""
    if not isinstance(input_, list):
        return 0
    return sum(
        1
        for item in input_
        if isinstance(item, dict) and isinstance(item.get("content"), list)
        for part in item["content"]
        if isinstance(part, dict)
        and part.get("type") == "input_image"
        and (part.get("image_url") or part.get("file_id"))
    )


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _tools_problem(tools: Any) -> tuple[str, str, str] | None:
    """OpenAI's 400 for a malformed ``tools`` array (message, code, param), or None."""
    if not isinstance(tools, list):
        return ("Invalid type for 'tools': expected an array.", "invalid_type", "tools")
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or not tool.get("type"):
            return (f"Missing required parameter: 'tools[{index}].type'.",
                    "missing_required_parameter", f"tools[{index}].type")  # fmt: skip
        if tool["type"] == "function" and not tool.get("name"):
            return (f"Missing required parameter: 'tools[{index}].name'.",
                    "missing_required_parameter", f"tools[{index}].name")  # fmt: skip
        if tool["type"] == "file_search" and not tool.get("vector_store_ids"):
            return (f"Missing required parameter: 'tools[{index}].vector_store_ids'.",
                    "missing_required_parameter", f"tools[{index}].vector_store_ids")  # fmt: skip
        ranking = tool.get("ranking_options")
        if tool["type"] == "file_search" and ranking is not None:
            threshold = ranking.get("score_threshold") if isinstance(ranking, dict) else None
            if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
                return (f"Invalid 'tools[{index}].ranking_options.score_threshold': expected a number"
                        " between 0 and 1.", "invalid_value",
                        f"tools[{index}].ranking_options.score_threshold")  # fmt: skip
    return None


def schema_default(schema: Any) -> Any:
    """A value valid for ``schema`` (first enum value, empty string, 0, false...): what
    the fake model answers for a json_schema it has no rule for."""
    if not isinstance(schema, dict):
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: schema_default(sub) for name, sub in props.items()}
    defaults: dict[str, Any] = {"array": [], "string": "", "integer": 0, "number": 0,
                                "boolean": False}  # fmt: skip
    return defaults.get(str(kind))


@bp.post("/responses")
def responses() -> Reply:
    state = _state()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "We could not parse the JSON body of your request.",
                      "invalid_request_error", None)  # fmt: skip
    model = body.get("model")
    if not model:
        return _error(400, "Missing required parameter: 'model'.", "invalid_request_error",
                      "missing_required_parameter", "model")  # fmt: skip
    if model not in MODELS:
        return _error(400, f"The model `{model}` does not exist or you do not have access to it.",
                      "invalid_request_error", "model_not_found", "model")  # fmt: skip
    input_ = body.get("input")
    if not isinstance(input_, str | list) or not input_:
        return _error(400, "Missing required parameter: 'input'.", "invalid_request_error",
                      "missing_required_parameter", "input")  # fmt: skip
    if "prompt" in body:
        return _error(400, "Reusable prompts are not supported by the sandbox.",
                      "invalid_request_error", None, "prompt")  # fmt: skip
    state.openai_counts["responses"] += 1
    state.openai_counts["input_images"] += _image_parts(input_)  # h5: vision input seen
    tools = body.get("tools") or []
    problem = _tools_problem(tools)
    if problem:
        return _error(400, problem[0], "invalid_request_error", problem[1], problem[2])
    text_format = body.get("text", {}).get("format") if isinstance(body.get("text"), dict) else None
    question = _last_user_text(input_)
    call: dict | None = None
    searched: list[dict] = []  # file_search_call items (h4)
    annotations: list[dict] = []
    if isinstance(text_format, dict) and text_format.get("type") == "json_schema":
        schema = text_format.get("schema")
        if not isinstance(schema, dict) or not text_format.get("name"):
            return _error(400, "Missing required parameter: 'text.format.schema'.",
                          "invalid_request_error", "missing_required_parameter",
                          "text.format")  # fmt: skip
        answer = openai_intents.structured(str(text_format["name"]), schema, question)
        text = json.dumps(answer if answer is not None else schema_default(schema),
                          ensure_ascii=False)  # fmt: skip
    else:
        call = openai_tools.plan_call(tools, input_)
        text = openai_tools.answer_from_outputs(input_) or ""
        searcher = next((t for t in tools if t.get("type") == "file_search"), None)
        if call is None and not text and searcher is not None and question:
            key = request.headers.get("Authorization", "")[7:].strip()
            include = body["include"] if isinstance(body.get("include"), list) else []
            searched, text, annotations = openai_files.file_search_output(
                key, searcher, question, include
            )
        text = text or f'Olá! Sobre "{question}": posso ajudar, me conte mais detalhes.'
    words = [] if call else text.split()
    max_out = int(body.get("max_output_tokens") or 0)
    status, incomplete = "completed", None
    if max_out and len(words) > max_out:
        words, status = words[:max_out], "incomplete"
        incomplete = {"reason": "max_output_tokens"}
        text = " ".join(words)
    instructions = body.get("instructions") or ""
    history = input_ if isinstance(input_, list) else [{"content": input_}]
    input_tokens = _tokens(instructions) + sum(
        _tokens(str(m.get("content", m.get("output", m.get("arguments", "")))))
        for m in history
        if isinstance(m, dict)
    )
    if call is not None:
        output: list[dict] = [{
            "type": "function_call", "id": "fc_" + secrets.token_hex(24),
            "call_id": "call_" + secrets.token_hex(12), "name": call["name"],
            "arguments": call["arguments"], "status": "completed",
        }]  # fmt: skip
    else:
        output = searched + [
            {
                "type": "message",
                "id": "msg_" + secrets.token_hex(24),
                "status": status,
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": annotations}],
            }
        ]
    output_tokens = len(words)
    return jsonify(
        {
            "id": "resp_" + secrets.token_hex(24),
            "object": "response",
            "created_at": int(time.time()),
            "status": status,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "store": bool(body.get("store", True)),
            "temperature": body.get("temperature", 1.0),
            "text": {"format": text_format or {"type": "text"}},
            "tool_choice": "auto",
            "tools": tools,
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + output_tokens,
            },
            "metadata": {},
        }
    )


TRANSCRIBE_MODELS = ("gpt-4o-mini-transcribe", "gpt-4o-transcribe", "whisper-1")
SAY_MARKER = b"SAY:"  # test audio: the UTF-8 text after it is what the fake "hears"


def fake_transcript(content: bytes) -> str:
    """Deterministic text for an audio file: after ``SAY:`` if present (tests and the demo
    choose what the customer "said"), else a phrase naming the file's first hash bytes."""
    at = content.find(SAY_MARKER)
    if at >= 0:
        said = content[at + len(SAY_MARKER) :].split(b"\x00", 1)[0]
        return said.decode("utf-8", "replace").strip()
    return f"Mensagem de voz de teste {hashlib.sha256(content).hexdigest()[:8]}."


@bp.post("/audio/transcriptions")
def transcriptions() -> Reply:
    """Speech to text, in OpenAI's response shape (``json``; ``text`` answers plain text)."""
    state = _state()
    upload = request.files.get("file")
    model = request.form.get("model")
    if upload is None:
        return _error(400, "Missing required parameter: 'file'.", "invalid_request_error",
                      "missing_required_parameter", "file")  # fmt: skip
    if not model:
        return _error(400, "Missing required parameter: 'model'.", "invalid_request_error",
                      "missing_required_parameter", "model")  # fmt: skip
    if model not in TRANSCRIBE_MODELS:
        return _error(400, f"The model `{model}` does not exist or you do not have access to it.",
                      "invalid_request_error", "model_not_found", "model")  # fmt: skip
    content = upload.read()
    if not content:
        return _error(400, "Audio file is empty.", "invalid_request_error", None, "file")
    state.openai_counts["transcriptions"] += 1
    text = fake_transcript(content)
    if request.form.get("response_format") == "text":
        return Response(text, mimetype="text/plain")
    if model == "whisper-1":
        usage: dict[str, Any] = {"type": "duration", "seconds": max(1, len(content) // 4000)}
    else:
        audio_tokens = max(1, len(content) // 100)
        out = _tokens(text)
        usage = {
            "type": "tokens",
            "input_tokens": audio_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            "output_tokens": out,
            "total_tokens": audio_tokens + out,
        }
    return jsonify({"text": text, "usage": usage})


@bp.route("/<path:rest>", methods=["GET", "POST", "DELETE"])
def unknown(rest: str) -> Reply:
    """E.g. the Assistants API (``/v1/assistants``, ``/v1/threads``), shut down in 2026."""
    return _error(404, f"Invalid URL ({request.method} /v1/{rest})", "invalid_request_error", None)
