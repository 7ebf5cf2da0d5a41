"""The client's HTTP endpoints as function tools of the assistant (issue #21).

``tool_definitions`` gives the Responses API the client's enabled tools for a number;
when the model answers with a ``function_call``, the AI loop
(``clickpro.services.ai.answer``) calls :func:`call_tool` and sends its ``output`` back
as a ``function_call_output`` item, and stores ``log`` on ``AIReplyRun.tool_calls``.

``call_tool`` never raises: a bad argument, a refused address, a timeout, an HTTP error
or an answer that is not JSON become an output the model can read and say something
sensible about ("a consulta falhou: tempo esgotado"), and a log entry
``{"name", "arguments", "status", "ms", "error", "http_status", "result"}``.

The request: ``POST <url>`` with the arguments as the JSON body (only the schema's
fields unless it allows others), ``Content-Type: application/json``, the optional secret
header, ``X-ClickPro-Run`` (the AI run id, when there is one). SSRF rules are the
outbound webhooks' (``url_guard``: checked again before the call, and the transport
connects only to a checked address); redirects are not followed; the answer is read up
to ``MAX_RESPONSE_BYTES``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.crypto import decrypt
from clickpro.extensions import db
from clickpro.models import AITool
from clickpro.services.ai.tool_schema import check_arguments
from clickpro.services.ai.tool_store import MAX_TIMEOUT_S, allow_private
from clickpro.services.api import url_guard

log = logging.getLogger(__name__)

MAX_ARGUMENTS_CHARS = 16_000
MAX_RESPONSE_BYTES = 64_000
MAX_OUTPUT_CHARS = 6_000  # what goes back to the model
LOG_EXCERPT = 500

# The playground turns tools off for one question without touching the stored tools.
_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("ai_tools_off", default=False)


@dataclass(frozen=True)
class ToolResult:
    output: str  # the function_call_output the model reads
    log: dict = field(default_factory=dict)  # one entry of AIReplyRun.tool_calls

    @property
    def ok(self) -> bool:
        return self.log.get("status") == "ok"


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Within the block, :func:`tool_definitions` offers no tools (playground switch)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def _enabled_tools(client_id: int, number_id: int | None) -> list[AITool]:
    stmt = sa.select(AITool).where(AITool.client_id == client_id, AITool.enabled.is_(True))
    scope: sa.ColumnElement[bool] = AITool.number_id.is_(None)
    if number_id is not None:
        scope = sa.or_(scope, AITool.number_id == number_id)
    return list(db.session.scalars(stmt.where(scope).order_by(AITool.name)))


def definition(tool: AITool) -> dict:
    """One Responses API function tool."""
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters or {"type": "object", "properties": {}},
        "strict": False,  # strict mode needs every field required; ours may be optional
    }


def tool_definitions(client_id: int, number_id: int | None) -> list[dict]:
    """The enabled tools of ``client_id`` for a conversation of ``number_id``."""
    if _suppressed.get():
        return []
    return [definition(tool) for tool in _enabled_tools(client_id, number_id)]


def _excerpt(value: Any, limit: int = LOG_EXCERPT) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def _failed(name: str, arguments: Any, status: str, reason: str, started: float,
            http_status: int | None = None) -> ToolResult:  # fmt: skip
    entry = {
        "name": name,
        "arguments": arguments,
        "status": status,
        "ms": int((time.perf_counter() - started) * 1000),
        "error": reason,
        "http_status": http_status,
        "result": None,
    }
    return ToolResult(f"a consulta falhou: {reason}", entry)


def _parse_arguments(raw: str) -> Any:
    if len(raw or "") > MAX_ARGUMENTS_CHARS:
        raise ValueError(_("argumentos grandes demais"))
    return json.loads(raw or "{}")


def call_tool(
    client_id: int, name: str, arguments: str, *, run_id: int | None = None
) -> ToolResult:
    """Call the client's tool ``name`` with the model's ``arguments`` (JSON text)."""
    started = time.perf_counter()
    try:
        return _call(client_id, name, arguments, run_id, started)
    except Exception as exc:  # never raises: the reply goes on without the tool
        log.exception("AI tool %s of client %s failed unexpectedly", name, client_id)
        return _failed(str(name)[:64], None, "error", f"erro interno ({type(exc).__name__})",
                       started)  # fmt: skip


def _call(client_id: int, name: str, raw: str, run_id: int | None, started: float) -> ToolResult:
    tool = db.session.scalar(
        sa.select(AITool).where(
            AITool.client_id == client_id, AITool.name == name, AITool.enabled.is_(True)
        )
    )
    if tool is None:
        return _failed(str(name)[:64], None, "unknown_tool", "ferramenta desconhecida", started)
    try:
        arguments = _parse_arguments(raw)
    except ValueError:
        return _failed(tool.name, _excerpt(raw or ""), "invalid_arguments",
                       "argumentos inválidos (JSON)", started)  # fmt: skip
    schema = tool.parameters or {}
    problems = check_arguments(schema, arguments)
    if problems:
        return _failed(tool.name, arguments, "invalid_arguments",
                       "argumentos inválidos: " + "; ".join(problems), started)  # fmt: skip
    if schema.get("additionalProperties") is not True:
        known = schema.get("properties") or {}
        arguments = {k: v for k, v in arguments.items() if k in known}
    return post(tool, arguments, run_id=run_id, started=started)


def _headers(tool: AITool, run_id: int | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "ClickPro-AI-Tools/1.0",
    }
    if run_id is not None:
        headers["X-ClickPro-Run"] = str(run_id)
    if tool.secret_header_name and tool.secret_header_value_enc:
        headers[tool.secret_header_name] = decrypt(tool.secret_header_value_enc)
    return headers


def _client(timeout_s: float) -> httpx.Client:
    return httpx.Client(
        timeout=timeout_s,
        follow_redirects=False,
        trust_env=False,
        transport=url_guard.GuardedTransport(allow_private=allow_private()),
    )


def _transport_reason(exc: BaseException) -> tuple[str, str]:
    if url_guard.refused_by(exc, url_guard.ForbiddenAddress):
        return "refused", "destino recusado (endereço interno)"
    if url_guard.refused_by(exc, url_guard.UnresolvableHost):
        return "connection", "host não encontrado"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", "tempo esgotado"
    if isinstance(exc, httpx.ConnectError):
        return "connection", "conexão recusada"
    return "connection", "erro de rede"


def post(
    tool: AITool, arguments: dict, *, run_id: int | None = None, started: float | None = None
) -> ToolResult:
    """POST ``arguments`` to the tool's URL (also the panel's "Testar" button)."""
    started = time.perf_counter() if started is None else started
    timeout = float(min(max(tool.timeout_s or 10, 1), MAX_TIMEOUT_S))
    try:
        url_guard.check_url(tool.url, allow_private=allow_private(), resolve_names=False)
    except (url_guard.ForbiddenAddress, url_guard.UnresolvableHost, ValueError):
        return _failed(tool.name, arguments, "refused", "destino recusado (endereço interno)",
                       started)  # fmt: skip
    body = json.dumps(arguments, ensure_ascii=False).encode()
    deadline = started + timeout
    try:
        with (
            _client(timeout) as http,
            http.stream("POST", tool.url, content=body, headers=_headers(tool, run_id)) as response,
        ):
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    return _failed(tool.name, arguments, "too_large", "resposta grande demais",
                                   started, response.status_code)  # fmt: skip
                if time.perf_counter() > deadline:  # a trickling answer
                    return _failed(tool.name, arguments, "timeout", "tempo esgotado", started,
                                   response.status_code)  # fmt: skip
            status_code = response.status_code
    except httpx.HTTPError as exc:
        status, reason = _transport_reason(exc)
        return _failed(tool.name, arguments, status, reason, started)
    except url_guard.ForbiddenAddress:
        return _failed(tool.name, arguments, "refused", "destino recusado (endereço interno)",
                       started)  # fmt: skip
    if not 200 <= status_code < 300:
        return _failed(tool.name, arguments, "http_error",
                       f"o serviço respondeu HTTP {status_code}", started, status_code)  # fmt: skip
    try:
        result = json.loads(bytes(data).decode("utf-8")) if data.strip() else None
    except (UnicodeDecodeError, ValueError):
        return _failed(tool.name, arguments, "not_json", "a resposta não é JSON", started,
                       status_code)  # fmt: skip
    output = json.dumps(result, ensure_ascii=False)
    if len(output) > MAX_OUTPUT_CHARS:
        output = output[:MAX_OUTPUT_CHARS] + "…"
    entry = {
        "name": tool.name,
        "arguments": arguments,
        "status": "ok",
        "ms": int((time.perf_counter() - started) * 1000),
        "error": None,
        "http_status": status_code,
        "result": _excerpt(result),
    }
    return ToolResult(output, entry)
